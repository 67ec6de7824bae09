/** JSON values as the emulator stores and serves them (resources are plain JSON objects). */
export type Json = null | boolean | number | string | Json[] | JsonObject
export interface JsonObject {
  [key: string]: Json
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Deep copy, so that nothing handed out by the store can be mutated behind its back. */
export function clone<T extends Json>(value: T): T {
  return structuredClone(value)
}

/** The object at `key`, or undefined when absent or not an object. */
export function objectAt(value: JsonObject | undefined, key: string): JsonObject | undefined {
  const child = value?.[key]
  return isObject(child) ? child : undefined
}

/** The array at `key`, or [] when absent or not an array. */
export function arrayAt(value: JsonObject | undefined, key: string): Json[] {
  const child = value?.[key]
  return Array.isArray(child) ? child : []
}

export function stringAt(value: JsonObject | undefined, key: string): string | undefined {
  const child = value?.[key]
  return typeof child === 'string' ? child : undefined
}
