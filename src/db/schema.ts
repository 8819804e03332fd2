// Row types of the store. Times are ISO-8601 UTC text (sortable, portable); booleans are 0/1 integers;
// ids are lowercase GUID text. The repositories map rows to domain objects; nothing else reads these.

export interface TenantRow {
  id: string;
  name: string;
  contact_email: string | null;
  created_at: string;
}

export interface UserRow {
  id: string;
  tenant_id: string;
  email: string | null;
  contact_email: string | null;
  given_name: string | null;
  surname: string | null;
  name: string | null;
  contact_given_name: string | null;
  contact_surname: string | null;
  external_user_id: string | null;
  identity_provider_id: string | null;
  created_at: string;
}

export interface ClientRow {
  id: string;
  tenant_id: string;
  name: string;
  enabled: number;
  tags: string;
  access_token_lifetime: number;
  secret_hash: string;
  secret_description: string | null;
  secret_expiration: string | null;
  created_at: string;
}

/** A tenant role (tenant_id set) or a community role (community_id set). */
export interface RoleRow {
  id: string;
  tenant_id: string | null;
  community_id: string | null;
  name: string;
  description: string | null;
  scope: number;
  role_type_id: string | null;
  created_at: string;
}

/** A role held by a user or a client of `tenant_id`; `community_id` is set for community roles. */
export interface RoleAssignmentRow {
  principal_id: string;
  role_id: string;
  tenant_id: string;
  community_id: string | null;
}

export interface CommunityRow {
  id: string;
  owner_tenant_id: string;
  name: string;
  name_key: string;
  description: string | null;
  preferred_region_id: string | null;
  member_role_id: string;
  created_at: string;
}

export interface CommunityTenantRow {
  community_id: string;
  tenant_id: string;
  status: string;
  is_owner: number;
  contact_email: string | null;
  community_alias: string | null;
  joined_at: string;
}

export interface InvitationRow {
  id: string;
  community_id: string;
  issuing_tenant_id: string;
  recipient: string;
  recipient_key: string;
  /** The stored state; a Created invitation past `expires_at` reads as InvitationExpired. */
  state: string;
  version: number;
  issued_at: string;
  expires_at: string;
  accepted_at: string | null;
  invited_tenant_id: string | null;
  accepted_tenant_name: string | null;
  accepted_user_email: string | null;
  contact_email: string | null;
  link_token_hash: string;
  created_at: string;
}

export interface OutboxRow {
  id: string;
  kind: string;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  created_at: string;
  attempts: number;
  next_attempt_at: string;
  locked_until: string | null;
  sent_at: string | null;
  last_error: string | null;
}

export interface SignInLinkRow {
  token_hash: string;
  user_id: string;
  tenant_id: string;
  return_to: string;
  expires_at: string;
  used_at: string | null;
}

/** A fixed-window counter of one rate rule (`scope`) for one digested key. */
export interface RateLimitCounterRow {
  scope: string;
  key: string;
  window_start: string;
  hits: number;
  expires_at: string;
}

/** An Idempotency-Key of one caller: claimed while `status` is null, then the encrypted first response. */
export interface IdempotencyKeyRow {
  principal: string;
  key_hash: string;
  tenant_id: string | null;
  fingerprint: string;
  status: number | null;
  response: string | null;
  locked_until: string | null;
  created_at: string;
  expires_at: string;
}

export interface Database {
  tenants: TenantRow;
  users: UserRow;
  clients: ClientRow;
  roles: RoleRow;
  role_assignments: RoleAssignmentRow;
  communities: CommunityRow;
  community_tenants: CommunityTenantRow;
  invitations: InvitationRow;
  outbox: OutboxRow;
  sign_in_links: SignInLinkRow;
  rate_limit_counters: RateLimitCounterRow;
  idempotency_keys: IdempotencyKeyRow;
}
