export { datagenTopic, planDatagen, type GeneratedSource } from './generator.ts'
export { datagenRows, type DatagenRows } from './rows.ts'
