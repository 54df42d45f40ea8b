/** A JSON value as it appears in an .avsc file. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue }

/** An Avro schema in its parsed JSON form (what `avsc.Type.forSchema` accepts). */
export type AvroSchemaJson = string | readonly JsonValue[] | { readonly [key: string]: JsonValue }

/**
 * An Avro schema together with the TypeScript type of the values it describes. The generated
 * modules export one per .avsc file, so serializers can infer `T` from the schema they are given.
 */
export interface TypedSchema<T> {
  /** Full name of the top-level type, e.g. `dev.freshet.events.UserEvent`. */
  readonly name: string
  /** The .avsc file it was generated from, relative to the repository root. */
  readonly source: string
  /** The schema as parsed from the .avsc file. */
  readonly schema: AvroSchemaJson
  /** Never set; only carries `T` through inference. */
  readonly __valueType?: T
}

/** The value type a TypedSchema describes. */
export type ValueOf<S> = S extends TypedSchema<infer T> ? T : never
