export { AtLeastOnceCommitter, ExactlyOnceCommitter, type CommitResult, type Committer } from './committer.ts'
