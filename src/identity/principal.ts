// Who is calling, with the rights read from the store for this request (roles are never taken from the
// token, so a revoked role takes effect at once). Community roles are read where a request reaches a
// community (CommunityService.access).

export type PrincipalKind = 'user' | 'client' | 'operator';

export interface Principal {
  kind: PrincipalKind;
  id: string;
  /** The caller's tenant; empty for the operator, who belongs to none. */
  tenantId: string;
  /** A user's e-mail (or contact e-mail); null for clients and the operator. */
  email: string | null;
  tenantAdmin: boolean;
}

export const isOperator = (principal: Principal): boolean => principal.kind === 'operator';
