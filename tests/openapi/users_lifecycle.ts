// The users lifecycle written against the types openapi-typescript generates from openapi.yaml
// (module "sbapi-openapi": the generated .d.ts in the build tree, see tsconfig.json). It is only
// type-checked (`tsc --noEmit`, ctest `openapi_typescript`), never run.
//
// The `@ts-expect-error` lines are the point: each states a rule of the contract that the
// generated types must enforce. If the types lose information (a schema turned into `any` or
// `unknown`, a property made optional, a status code no longer tied to its body), the line no
// longer errors and tsc fails with "Unused '@ts-expect-error' directive".

import type { components, paths } from "sbapi-openapi";

type Schemas = components["schemas"];
export type User = Schemas["User"];
export type ErrorBody = Schemas["Error"];

// ---- typed fetch wrappers --------------------------------------------------------------------

/** The application/json body of a response object of the generated types (never without one). */
type JsonOf<R> = R extends { content: { "application/json": infer B } } ? B : never;

/** Every documented answer of an operation, as a union discriminated by `status`. */
export type Answer<Op extends { responses: object }> = {
  [S in keyof Op["responses"]]: { status: S; body: JsonOf<Op["responses"][S]> };
}[keyof Op["responses"]];

type JsonRequestBody<Op extends { requestBody: { content: { "application/json": unknown } } }> =
  Op["requestBody"]["content"]["application/json"];

export interface Client {
  baseUrl: string; // e.g. "http://localhost:3000"
  token?: string; // a bearer token, when authentication is on
}

async function send<Op extends { responses: object }>(
  client: Client,
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
): Promise<Answer<Op>> {
  const headers: Record<string, string> = {};
  if (client.token !== undefined) headers["Authorization"] = `Bearer ${client.token}`;
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(client.baseUrl + path, init);
  // The one unchecked step: the server's JSON is taken to be what the document says (the
  // contract and black-box tests check that side).
  return { status: response.status, body: await response.json() } as unknown as Answer<Op>;
}

type CreateUser = paths["/users"]["post"];
type ListUsers = paths["/users"]["get"];
type GetUser = paths["/users/{id}"]["get"];
type UpdateUser = paths["/users/{id}"]["put"];
type DeleteUser = paths["/users/{id}"]["delete"];
type UserPath = paths["/users/{id}"]["parameters"]["path"];
export type ListUsersQuery = NonNullable<ListUsers["parameters"]["query"]>;

const userUrl = (path: UserPath): string => `/users/${encodeURIComponent(path.id)}`;

export const createUser = (client: Client, body: JsonRequestBody<CreateUser>) =>
  send<CreateUser>(client, "POST", "/users", body);
export const getUser = (client: Client, path: UserPath) =>
  send<GetUser>(client, "GET", userUrl(path));
export const updateUser = (client: Client, path: UserPath, body: JsonRequestBody<UpdateUser>) =>
  send<UpdateUser>(client, "PUT", userUrl(path), body);
export const deleteUser = (client: Client, path: UserPath) =>
  send<DeleteUser>(client, "DELETE", userUrl(path));
export function listUsers(client: Client, query: ListUsersQuery = {}) {
  const search = new URLSearchParams();
  if (query.limit !== undefined) search.set("limit", String(query.limit));
  if (query.nextToken !== undefined) search.set("nextToken", query.nextToken);
  if (query.email !== undefined) search.set("email", query.email);
  const qs = search.toString();
  return send<ListUsers>(client, "GET", qs === "" ? "/users" : `/users?${qs}`);
}

function fail(answer: { status: number; body: ErrorBody }): never {
  throw new Error(`HTTP ${answer.status}: ${answer.body.error}`);
}

// ---- the lifecycle ----------------------------------------------------------------------------

export async function usersLifecycle(client: Client): Promise<User[]> {
  // POST /users: 201 created, 200 when the userId exists (idempotent); both answer the user.
  const created = await createUser(client, {
    userId: "user123",
    email: "user@example.com",
    name: "John Doe",
    department: "Engineering",
  });
  let user: User;
  if (created.status === 201 || created.status === 200) {
    const message: "User created" | "User already exists" = created.body.message;
    void message;
    user = created.body.user;
  } else {
    fail(created); // every other documented answer has the Error body
  }
  const createdAt: number = user.createdAt;
  const ttl: number = user.ttl;
  void [createdAt, ttl];

  // GET /users/{id}
  const read = await getUser(client, { id: user.userId });
  if (read.status !== 200) {
    if (read.status === 404) console.log(`gone: ${read.body.error}`);
    fail(read);
  }
  const department: string | undefined = read.body.department;
  void department;

  // PUT /users/{id}: any non-empty subset of email, name, department.
  const updated = await updateUser(client, { id: user.userId }, { department: "Research" });
  if (updated.status !== 200) fail(updated);
  const updatedAt: number | undefined = updated.body.updatedAt;
  void updatedAt;

  // GET /users: every page, following nextToken until it is null.
  const everyone: User[] = [];
  let nextToken: string | null = null;
  do {
    const query: ListUsersQuery = nextToken === null ? { limit: 100 } : { limit: 100, nextToken };
    const page = await listUsers(client, query);
    if (page.status !== 200) fail(page);
    everyone.push(...page.body.items);
    nextToken = page.body.nextToken;
  } while (nextToken !== null);

  // DELETE /users/{id}: 200 with a message; a second delete is 404 with an Error body.
  const deleted = await deleteUser(client, { id: user.userId });
  if (deleted.status === 200) console.log(deleted.body.message);
  const again = await deleteUser(client, { id: user.userId });
  if (again.status === 404) {
    const error: ErrorBody = again.body;
    console.log(error.error);
  }
  return everyone;
}

// AssetCreate.contentType has a default, so a client may leave it out (the generator runs with
// --default-non-nullable false; by default it would make the property required).
export const minimalAsset: Schemas["AssetCreate"] = { assetId: "asset123", fileName: "report.pdf" };

// ---- what the types must refuse -----------------------------------------------------------------

export async function refused(client: Client): Promise<void> {
  await createUser(client, {
    // @ts-expect-error userId is a string (schema Id), not a number
    userId: 123,
    email: "user@example.com",
  });

  // @ts-expect-error email is required on create
  await createUser(client, { userId: "user123" });

  await createUser(client, {
    userId: "user123",
    email: "user@example.com",
    // @ts-expect-error UserCreate has additionalProperties: false (no role field)
    role: "admin",
  });

  // @ts-expect-error ttl is server-owned: not a field of UserUpdate
  await updateUser(client, { id: "user123" }, { ttl: 0 });

  const read = await getUser(client, { id: "user123" });
  if (read.status === 200) {
    // @ts-expect-error User has no password field
    console.log(read.body.password);
    // @ts-expect-error createdAt is epoch seconds (a number), not a string
    const createdAt: string = read.body.createdAt;
    void createdAt;
  }
  // @ts-expect-error the body is not known to be a User before the status is checked
  console.log(read.body.userId);

  const created = await createUser(client, { userId: "user123", email: "user@example.com" });
  // @ts-expect-error POST /users never answers 204: the status union is closed
  if (created.status === 204) return;

  const page = await listUsers(client);
  if (page.status === 200) {
    // @ts-expect-error nextToken is null on the last page
    const token: string = page.body.nextToken;
    void token;
  }

  // @ts-expect-error limit is a number, not a string
  await listUsers(client, { limit: "25" });
}

// @ts-expect-error there is no path /user
export type NoSuchPath = paths["/user"];
