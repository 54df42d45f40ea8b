export { ErrorCodes, type ErrorCode, type ErrorName } from './codes.ts'
export {
  atLocation,
  FreshetError,
  isConfigurationError,
  isFreshetError,
  toFreshetError,
  type ErrorLocation,
  type FreshetErrorFields,
} from './freshet-error.ts'
