/**
 * Names a bad option value together with its type, for error messages:
 * `the string "5"` rather than a bare `5` that reads like a valid number.
 * @stable
 * @example
 * describeValue('5') // 'the string "5"'; describeValue(5.5) // '5.5'; describeValue([]) // 'an array'
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}`
    case 'number':
      return String(value)
    case 'bigint':
      return `the bigint ${value}n`
    case 'boolean':
      return `the boolean ${value}`
    case 'undefined':
      return 'undefined'
    case 'function':
      return 'a function'
    case 'symbol':
      return 'a symbol'
    default:
      return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object'
  }
}
