// generated from schemas/*.avsc by `freshet schema codegen`; do not edit

/** A JSON value as in an .avsc file. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue }

/** freshet's TypedSchema: an Avro schema with the TypeScript type of the values it describes. */
export interface TypedSchema<T> {
  /** Full name of the top-level type. */
  readonly name: string
  /** The .avsc file it was generated from. */
  readonly source: string
  /** The schema as parsed from the .avsc file. */
  readonly schema: string | readonly JsonValue[] | { readonly [key: string]: JsonValue }
  /** Never set; only carries `T` through inference. */
  readonly __valueType?: T
}
