import { StateTopic, topicNames, ensureTopics } from '@ferry/kafka';
import type { Kafka } from 'kafkajs';
import type { CutoverRecord } from '../cutover/cutover-record.js';
import type { VerificationSummary } from '../verify/verification-summary.js';

export type TaskPhase = 'new' | 'precheck' | 'schema' | 'full' | 'post-data' | 'incremental' | 'cutover' | 'done' | 'failed';

export interface TaskState {
  phase: TaskPhase;
  /** Steps that finished and must not run again on a restart. */
  done: { preData: boolean; postData: boolean; full: boolean };
  /** Per destination: tables that existed before the task first created its schema there. */
  preexistingTables: Record<string, { schema: string; table: string }[]>;
  updatedAt: string;
  history: { phase: TaskPhase; at: string }[];
  lastError: string | null;
  /** The newest `ferry cutover`: what it changed on the source, so `--abort` can undo it from anywhere. */
  cutover?: CutoverRecord;
  /** The newest verification the coordinator ran (continuous, during incremental sync). */
  verification?: VerificationSummary;
  /** The newest verification per destination name, when the task has several. */
  verifications?: Record<string, VerificationSummary>;
  /** Set while an operator paused the task (console or API): the services are stopped until resumed. */
  paused?: { at: string; by: string } | null;
}

const KEY = 'task';

export function newTaskState(): TaskState {
  return { phase: 'new', done: { preData: false, postData: false, full: false }, preexistingTables: {}, updatedAt: new Date().toISOString(), history: [], lastError: null };
}

/**
 * The task's state, event-sourced on the compacted `<prefix>._task` topic: every
 * change is a new message, the newest wins. Kafka holds it because every
 * service already depends on Kafka, and `ferry status` can read it from anywhere.
 */
export class TaskStateStore {
  private readonly topic: StateTopic;
  private topicEnsured = false;

  constructor(
    private readonly kafka: Kafka,
    prefix: string,
    private readonly replicationFactor: number,
  ) {
    this.topic = new StateTopic(kafka, topicNames(prefix).task);
  }

  async load(): Promise<TaskState> {
    // The topic is made once per store; later loads only read it.
    if (!this.topicEnsured) {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, [{ topic: this.topic.topic, partitions: 1, replicationFactor: this.replicationFactor, compacted: true }]);
      } finally {
        await admin.disconnect();
      }
      this.topicEnsured = true;
    }
    const stored = (await this.topic.get(KEY)) as Partial<TaskState> | undefined;
    return { ...newTaskState(), ...stored };
  }

  async save(state: TaskState): Promise<void> {
    state.updatedAt = new Date().toISOString();
    await this.topic.put(KEY, state);
  }

  async enter(state: TaskState, phase: TaskPhase): Promise<void> {
    if (state.phase === phase) return;
    state.phase = phase;
    state.history.push({ phase, at: new Date().toISOString() });
    await this.save(state);
  }

  async close(): Promise<void> {
    await this.topic.close();
  }
}
