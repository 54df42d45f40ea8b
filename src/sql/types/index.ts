/** SQL types: Flink's spelling, Avro in both directions, implicit casts. */
export {
  formatType,
  MAX_LENGTH,
  parseType,
  quoteIdentifier,
  sameShape,
  typesEqual,
  withNullable,
  type FormatTypeOptions,
} from './format.ts'
export {
  isApproximate,
  isBinary,
  isInteger,
  isNumeric,
  isString,
  isTemporal,
  isTimestamp,
  type IntegerKind,
} from './families.ts'
export { closest, didYouMean, editDistance, identifier, isReservedWord } from './identifiers.ts'
export { avroToColumns, avroToSqlType, FLINK_RECORD_NAME, sqlRowToAvroSchema, type AvroJson } from './avro.ts'
export {
  checkInsertCompatible,
  INTEGER_DIGITS,
  isAssignable,
  leastCommonType,
  leastRestrictive,
  MAX_DECIMAL_PRECISION,
  supportsExplicitCast,
  supportsImplicitCast,
  type InsertCompatibility,
} from './casts.ts'
