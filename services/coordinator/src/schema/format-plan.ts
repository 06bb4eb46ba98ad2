import { DDL_SECTIONS, type DdlPlan } from './ddl-plan.js';

/**
 * The plan as `--dry-run` prints it: a SQL script a person can read (and run
 * with psql), one numbered statement per object, sections and warnings as
 * comments.
 */
export function formatPlan(plan: DdlPlan): string {
  const lines: string[] = [];
  const count = (section: string) => plan.statements.filter((statement) => statement.section === section).length;
  lines.push(`-- Ferry schema plan: ${plan.statements.length} statements (${DDL_SECTIONS.map((s) => `${count(s)} ${s}`).join(', ')})`);
  if (plan.warnings.length > 0) {
    lines.push('--', `-- ${plan.warnings.length} ${plan.warnings.length === 1 ? 'warning' : 'warnings'}:`);
    for (const warning of plan.warnings) lines.push(`--   ${commentText(warning)}`);
  }
  let number = 0;
  for (const section of DDL_SECTIONS) {
    const statements = plan.statements.filter((statement) => statement.section === section);
    if (statements.length === 0) continue;
    lines.push('', `-- ===== ${section} =====`);
    for (const statement of statements) {
      number += 1;
      lines.push('', `-- ${number}. ${statement.kind} ${commentText(statement.objectName)}`, `${statement.sql};`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Names may hold line breaks; a comment must stay on its line. */
function commentText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
