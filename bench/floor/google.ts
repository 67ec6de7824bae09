// The Google half of the floor: an authorised client from Application Default Credentials
// (Workload Identity Federation on the local cloud), its token fetched at once. A project id
// given up front, as vpcsc does: otherwise the library looks one up first.
import {GoogleAuth} from 'google-auth-library'

export async function authorisedClient() {
  const client = await new GoogleAuth({scopes: ['https://www.googleapis.com/auth/cloud-platform'], projectId: 'floor'}).getClient()
  await client.getAccessToken()
  return client
}
