// What a consumer of Tenantry writes against the generated types: a typed client
// (openapi-fetch) and a few calls. `tsc --noEmit` fails if the document stops describing them.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Member = components["schemas"]["MemberResponse"];
type ApiError = components["schemas"]["ErrorBody"];

const tenantry = createClient<paths>({ baseUrl: "http://127.0.0.1:8080" });

export async function signUpAndListMembers(email: string, password: string): Promise<Member[]> {
  const signedUp = await tenantry.POST("/api/auth/signup", {
    body: { email, password, name: "Olive Owner" },
  });
  if (!signedUp.data) throw failure(signedUp.error);
  const headers = { Authorization: `Bearer ${signedUp.data.token}` };

  const org = await tenantry.POST("/api/orgs", { headers, body: { name: "Acme" } });
  if (!org.data) throw failure(org.error);
  const orgId: string = org.data._id;

  const invited = await tenantry.POST("/api/orgs/{orgId}/invitations/email", {
    headers,
    params: { path: { orgId } },
    body: { email: "new.hire@example.com", role: "member" },
  });
  if (!invited.data) throw failure(invited.error);

  const members = await tenantry.GET("/api/orgs/{orgId}/members", {
    headers,
    params: { path: { orgId }, query: { limit: 50 } },
  });
  if (!members.data) throw failure(members.error);
  return members.data.members;
}

function failure(error: ApiError | undefined): Error {
  return new Error(`${error?.error.code}: ${error?.error.message} (${error?.error.requestId})`);
}
