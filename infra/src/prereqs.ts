/** Java and Maven: find them, check the Java version, or install them with apt when allowed. */
import fs from 'node:fs';
import path from 'node:path';
import { InfraError, log, since } from './log.js';
import { run, runOk, which } from './process.js';

const APT_PACKAGES = ['openjdk-17-jre-headless', 'maven'];
const APT_FIX = `apt-get install -y ${APT_PACKAGES.join(' ')}`;

/** Installing system packages happens only as root with apt-get, and only under CI=true or FERRY_INSTALL_DEPS=1. */
function mayAutoInstall(): boolean {
  const wanted = process.env['CI'] === 'true' || process.env['FERRY_INSTALL_DEPS'] === '1';
  return wanted && process.getuid?.() === 0 && which('apt-get') !== undefined;
}

let aptInstall: Promise<void> | undefined;

function installWithApt(): Promise<void> {
  aptInstall ??= (async () => {
    const start = performance.now();
    log(`installing ${APT_PACKAGES.join(', ')} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await runOk('apt-get', ['update', '-q'], { env, timeoutMs: 300_000 });
    await runOk('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...APT_PACKAGES], { env, timeoutMs: 900_000 });
    log(`apt-get install done in ${since(start)}`);
  })();
  return aptInstall;
}

function missing(tool: string, why: string): InfraError {
  return new InfraError(
    `${tool} not found (${why}). Install it with: ${APT_FIX}` +
      ` (as root; or run up with CI=true or FERRY_INSTALL_DEPS=1 to let it do that)`,
  );
}

/** `java` from JAVA_HOME, else from PATH. */
function findJava(): string | undefined {
  const home = process.env['JAVA_HOME'];
  if (home) {
    const candidate = path.join(home, 'bin', 'java');
    if (fs.existsSync(candidate)) return candidate;
  }
  return which('java');
}

export async function javaMajor(java: string): Promise<number> {
  const { stderr, stdout } = await run(java, ['-version']);
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${stderr}${stdout}`);
  if (!match) throw new InfraError(`cannot tell the version of ${java}: ${stderr.trim()}`);
  const first = Number(match[1]);
  return first === 1 ? Number(match[2] ?? 0) : first;
}

let javaCheck: Promise<{ java: string; major: number }> | undefined;

/** A Java 17+ runtime (Kafka 4 brokers need 17). */
export function ensureJava(): Promise<{ java: string; major: number }> {
  javaCheck ??= (async () => {
    let java = findJava();
    if (!java && mayAutoInstall()) {
      await installWithApt();
      java = findJava();
    }
    if (!java) throw missing('java', 'Kafka and the schema registry run on Java 17+');
    const major = await javaMajor(java);
    if (major < 17) {
      throw new InfraError(`${java} is Java ${major}; Kafka 4 needs Java 17+. Set JAVA_HOME to a JDK 17+ or: ${APT_FIX}`);
    }
    return { java, major };
  })();
  return javaCheck;
}

let mvnCheck: Promise<string> | undefined;

/** `mvn`, needed once to collect the Kafka jars. */
export function ensureMaven(): Promise<string> {
  mvnCheck ??= (async () => {
    let mvn = which('mvn');
    if (!mvn && mayAutoInstall()) {
      await installWithApt();
      mvn = which('mvn');
    }
    if (!mvn) throw missing('mvn', 'it collects the Kafka jars from Maven Central');
    return mvn;
  })();
  return mvnCheck;
}
