export { runPushQuery, type PushQueryEnd, type PushQueryOptions } from './push-query.ts'
export { CLIENT_FILE, CLIENT_HELP, SqlSession, type ClientResult, type SqlSessionOptions } from './session.ts'
export { StatementSplitter } from './statements.ts'
export { formatTable, LiveTable, StreamingTable } from './tableau.ts'
