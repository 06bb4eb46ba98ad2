export { createKafka, kafkaSettingsFor, type KafkaSettings } from './client.js';
export { topicNames, topicPart, type TopicNames } from './topic-names.js';
export { ensureTopics, type TopicSpec } from './topics.js';
export { StateTopic } from './state-topic.js';
