/** The last segment of a resource name: accessPolicies/1/accessLevels/x -> x. */
export function shortName(name: string): string {
  return name.split('/').pop() ?? name
}
