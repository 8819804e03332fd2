#!/usr/bin/env python3
"""Drive Convene with AVEVA's public Python sample library (adh_sample_library_preview).

The library itself is NOT part of this repository: point ADH_SAMPLE_LIBRARY at a directory that contains
the `adh_sample_library_preview` package (a checkout of aveva/sample-adh-sample_libraries-python).

The script uses the library exactly as an application would (ADHClient built from an appsettings.json with
Resource = Convene's base URL, ApiVersion v1, TenantId, ClientId, ClientSecret) and calls every method of the
Authentication, Communities, Roles and Users modules, plus the BaseClient behaviours those depend on.
For every call it prints PASS or FAIL with the HTTP status and the library's error; for a FAIL it also prints
the exact HTTP exchange(s) the call produced (method, URL with query, headers, body; status, headers, body).

Observation only: requests.Session.send is wrapped to record exchanges; nothing the library sends is changed.

Configuration (environment, or the matching command-line option):
  ADH_SAMPLE_LIBRARY     directory containing adh_sample_library_preview            (--library)
  CONVENE_URL            Convene base URL, e.g. http://127.0.0.1:8080                (--url)
  CONVENE_TENANT_ID      tenant id                                                   (--tenant)
  CONVENE_CLIENT_ID      client id (Tenant Administrator)                            (--client-id)
  CONVENE_CLIENT_SECRET  client secret                                               (--client-secret)
  or --tenant-json FILE  the JSON printed by `convene tenant create` (tenant id, client id and secret)
Options: --trace prints every exchange, not only those of failing calls.
Exit status: 0 when every in-scope call passed, 1 otherwise, 2 on bad configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

import requests
from requests.structures import CaseInsensitiveDict

GUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')

# --------------------------------------------------------------------------------------------------------
# Recording of HTTP exchanges (wraps requests.Session.send; the request is passed through untouched)
# --------------------------------------------------------------------------------------------------------


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: CaseInsensitiveDict
    request_body: str | None
    status: int | None = None
    response_headers: CaseInsensitiveDict = field(default_factory=CaseInsensitiveDict)
    response_body: str = ''
    error: str | None = None


EXCHANGES: list[Exchange] = []
_original_send = requests.sessions.Session.send


def _recording_send(self, request, **kwargs):
    body = request.body
    if isinstance(body, bytes):
        body = body.decode('utf-8', 'replace')
    exchange = Exchange(request.method, request.url, CaseInsensitiveDict(request.headers), body)
    EXCHANGES.append(exchange)
    try:
        response = _original_send(self, request, **kwargs)
    except Exception as error:  # connection refused and the like
        exchange.error = f'{type(error).__name__}: {error}'
        raise
    exchange.status = response.status_code
    exchange.response_headers = CaseInsensitiveDict(response.headers)
    try:
        exchange.response_body = response.text
    except Exception:  # streamed or undecodable
        exchange.response_body = '<unreadable>'
    return response


requests.sessions.Session.send = _recording_send


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    out = {}
    for key, value in headers.items():
        if key.lower() == 'authorization' and value.lower().startswith('bearer '):
            out[key] = 'Bearer <jwt redacted>'
        else:
            out[key] = value
    return out


def redact_body(body: str | None) -> str | None:
    if body is None:
        return None
    body = re.sub(r'(client_secret=)[^&]*', r'\1<redacted>', body)
    body = re.sub(r'("access_token"\s*:\s*")[^"]*', r'\1<redacted>', body)
    return body


def format_exchange(exchange: Exchange, indent: str = '      ') -> str:
    lines = [f'{indent}> {exchange.method} {exchange.url}']
    for key, value in redact_headers(exchange.request_headers).items():
        lines.append(f'{indent}> {key}: {value}')
    if exchange.request_body is not None:
        lines.append(f'{indent}> body: {redact_body(exchange.request_body)!r}')
    else:
        lines.append(f'{indent}> (no body)')
    if exchange.error:
        lines.append(f'{indent}< transport error: {exchange.error}')
        return '\n'.join(lines)
    lines.append(f'{indent}< {exchange.status}')
    for key, value in exchange.response_headers.items():
        if key.lower() in ('content-type', 'operation-id', 'total-count', 'location', 'content-length', 'allow'):
            lines.append(f'{indent}< {key}: {value}')
    body = redact_body(exchange.response_body) or ''
    if len(body) > 1500:
        body = body[:1500] + f'... ({len(body)} chars)'
    lines.append(f'{indent}< body: {body}')
    return '\n'.join(lines)


# --------------------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------------------


class CheckFailed(Exception):
    """A call succeeded at HTTP level but its result is not what a library user relies on."""


class LibraryDefect(Exception):
    """The library method cannot work against any server (it fails before sending a request)."""


@dataclass
class Result:
    name: str
    outcome: str  # PASS, FAIL, SKIP, INFO
    status: str
    detail: str
    scope: str
    exchanges: list[Exchange]


RESULTS: list[Result] = []
TRACE = False


def expect(condition: bool, message: str):
    if not condition:
        raise CheckFailed(message)


def last_status(exchanges: list[Exchange]) -> str:
    statuses = [str(e.status) if e.status is not None else 'no-response' for e in exchanges]
    return ','.join(statuses) if statuses else 'no request sent'


def step(name: str, fn: Callable[[], Any], *, expect_status: int | None = None, scope: str = 'in',
         note: str = '') -> Any:
    """Run one library call. expect_status: the call is expected to raise SdsError with that status
    (a negative test); PASS then also requires that SdsError parsed Error/Reason/Resolution, which the
    library does only when Content-Type is exactly application/json."""
    from adh_sample_library_preview import SdsError

    start = len(EXCHANGES)
    outcome, detail, value = 'PASS', '', None
    try:
        value = fn()
        if expect_status is not None:
            outcome, detail = 'FAIL', f'expected an error {expect_status}, but the call succeeded'
    except SdsError as error:
        if expect_status is not None and error.StatusCode == expect_status:
            if error.Error and error.Reason and error.Resolution and error.OperationId:
                detail = f'expected error: Error={error.Error!r}'
            else:
                outcome = 'FAIL'
                detail = ('status as expected, but SdsError did not get Error/Reason/Resolution/OperationId '
                          f'from the response: {error}')
        else:
            outcome, detail = 'FAIL', f'SdsError: {error}'
    except CheckFailed as error:
        outcome, detail = 'FAIL', f'result check: {error}'
    except LibraryDefect as error:
        outcome, detail = 'FAIL', f'library defect: {error}'
    except Exception as error:  # anything the library raised while parsing
        tb = traceback.extract_tb(error.__traceback__)[-1]
        outcome = 'FAIL'
        detail = f'{type(error).__name__}: {error} (at {os.path.basename(tb.filename)}:{tb.lineno} `{tb.line}`)'
    exchanges = EXCHANGES[start:]
    if note:
        detail = f'{detail} [{note}]' if detail else f'[{note}]'
    result = Result(name, outcome, last_status(exchanges), detail, scope, exchanges)
    RESULTS.append(result)
    print_result(result)
    return value if outcome == 'PASS' else None


def skip(name: str, reason: str, scope: str = 'in'):
    result = Result(name, 'SKIP', '-', reason, scope, [])
    RESULTS.append(result)
    print_result(result)


def info(name: str, detail: str):
    result = Result(name, 'INFO', '-', detail, 'in', [])
    RESULTS.append(result)
    print_result(result)


def print_result(result: Result):
    scope = '' if result.scope == 'in' else f' [{result.scope}]'
    line = f'{result.outcome:<4}  {result.name}{scope}  HTTP {result.status}'
    if result.detail:
        line += f'  -- {result.detail}'
    print(line, flush=True)
    if result.exchanges and (TRACE or result.outcome == 'FAIL'):
        for exchange in result.exchanges:
            print(format_exchange(exchange), flush=True)


def section(title: str):
    print(f'\n=== {title} ===', flush=True)


# --------------------------------------------------------------------------------------------------------
# The scenario
# --------------------------------------------------------------------------------------------------------


def run(url: str, tenant: str, client_id: str, client_secret: str, second_tenant: dict[str, str] | None) -> int:
    from adh_sample_library_preview import ADHClient, BaseClient, SdsError
    from adh_sample_library_preview.Authentication import Authentication
    from adh_sample_library_preview.Communities import Communities
    from adh_sample_library_preview.Community import CommunityInput, CommunityTenantStatus
    from adh_sample_library_preview.Roles import Roles
    from adh_sample_library_preview.Security import Role, RoleScope, User, UserInvitation
    from adh_sample_library_preview.Users import Users

    suffix = uuid.uuid4().hex[:8]
    state: dict[str, Any] = {}

    # ---------------- Authentication ----------------
    section('Authentication (discovery + client credentials)')

    def build_client():
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, 'appsettings.json')
            with open(path, 'w') as f:
                json.dump({'Resource': url, 'ApiVersion': 'v1', 'TenantId': tenant,
                           'ClientId': client_id, 'ClientSecret': client_secret}, f)
            client, _namespace = ADHClient.fromAppsettings(path)
        exchanges = EXCHANGES[start_auth:]
        discovery = next((e for e in exchanges if 'openid-configuration' in e.url), None)
        expect(discovery is not None and discovery.status == 200, 'discovery document not fetched with 200')
        doc = json.loads(discovery.response_body)
        token_endpoint = doc.get('token_endpoint', '')
        expect(token_endpoint.startswith('http://') or token_endpoint.startswith('https://'),
               f'token_endpoint is not absolute: {token_endpoint!r}')
        base = url.rstrip('/')
        expect(token_endpoint.startswith(base), f'token_endpoint {token_endpoint!r} is not under Resource {base!r}')
        token = next((e for e in exchanges if e.method == 'POST'), None)
        expect(token is not None and token.status == 200, 'token POST did not answer 200')
        body = json.loads(token.response_body)
        expect(body.get('token_type') == 'Bearer', f'token_type is {body.get("token_type")!r}')
        expect(isinstance(body.get('expires_in'), (int, float)) and body['expires_in'] > 300,
               f'expires_in {body.get("expires_in")!r} must be a number > 300 (the library refreshes below 300 s)')
        state['discovery'] = doc
        return client

    start_auth = len(EXCHANGES)
    adh = step('Authentication.getToken via ADHClient.fromAppsettings (discovery, then client_credentials)',
               build_client)
    if adh is None:
        print('\nCannot continue without a token.')
        return summarize()
    base_client = adh.baseClient
    auth = base_client._BaseClient__auth_object  # the library's own Authentication instance

    def cached_token():
        before = len(EXCHANGES)
        token = auth.getToken()
        expect(token, 'no token')
        expect(len(EXCHANGES) == before, 'a cached token should not cause any HTTP request')

    step('Authentication.getToken (cached: no request while > 300 s remain)', cached_token)

    def refreshed_token():
        # Simulate the moment when fewer than 300 s remain, which is when the library fetches a new token.
        auth._Authentication__expiration = time.time() + 120
        before = len(EXCHANGES)
        token = auth.getToken()
        expect(token, 'no token')
        expect(len(EXCHANGES) - before == 2, 'expected discovery + token requests for the refresh')
        adh.Communities.getCommunities()

    step('Authentication.getToken (refresh when < 300 s remain, then an API call with the new token)',
         refreshed_token)

    def bad_secret():
        wrong = Authentication(tenant, url, client_id, 'wrong-secret')
        try:
            wrong.getToken()
        except SdsError as error:
            expect('invalid_client' in str(error) or 'invalid' in str(error),
                   f'SdsError should carry the RFC 6749 error: {error}')
            return
        raise CheckFailed('a wrong secret produced a token')

    step('Authentication.getToken with a wrong secret (library raises SdsError with token["error"])', bad_secret)

    has_authorize = 'authorization_endpoint' in state.get('discovery', {})
    info('Authentication PKCE flow (client_secret=None)',
         'not run: interactive (opens a browser, listens on localhost:5004, needs authorization_endpoint and the '
         f'authorization_code grant); discovery has authorization_endpoint: {has_authorize}')

    communities: Communities = adh.Communities
    roles_api: Roles = adh.Roles
    users_api: Users = adh.Users

    # ---------------- Communities ----------------
    section('Communities')

    step('Communities.getCommunities() (skip=0, count=100)', lambda: communities.getCommunities())

    def create_main():
        ci = CommunityInput(name=f'RefClient {suffix}', description='Created by the reference client',
                            contact_email='owner@test.example')
        community = communities.createCommunity(ci)
        expect(GUID_RE.match(community.Id or ''), f'Id {community.Id!r} is not a lowercase GUID')
        expect(community.Name == ci.Name, f'Name {community.Name!r}')
        expect(community.Description == ci.Description, f'Description {community.Description!r}')
        expect(community.MemberRoleId, 'MemberRoleId missing')
        expect(community.Tenants and len(community.Tenants) == 1, f'Tenants {community.Tenants!r}')
        owner = community.Tenants[0]
        expect(owner.Id == tenant, f'owner tenant id {owner.Id!r}')
        expect(owner.Status == CommunityTenantStatus.Active, f'owner Status {owner.Status!r}')
        expect(owner.ContactEmail == 'owner@test.example', f'owner ContactEmail {owner.ContactEmail!r}')
        expect(community.CommunityRoles and len(community.CommunityRoles) == 3,
               f'CommunityRoles {community.CommunityRoles!r}')
        for role in community.CommunityRoles:
            expect(role.RoleScope == RoleScope.Community, f'community role scope {role.RoleScope!r}')
        type_ids = {r.RoleTypeId for r in community.CommunityRoles}
        expect(type_ids == {Roles.CommunityAdministratorRoleTypeId, Roles.CommunityModeratorRoleTypeId,
                            Roles.CommunityMemberRoleTypeId}, f'community RoleTypeIds {type_ids!r}')
        member = [r for r in community.CommunityRoles if r.RoleTypeId == Roles.CommunityMemberRoleTypeId][0]
        expect(member.Id == community.MemberRoleId, 'MemberRoleId is not the Community Member role')
        return community

    main = step('Communities.createCommunity(CommunityInput(Name, Description, ContactEmail)) -> 201', create_main)

    def create_second():
        community = communities.createCommunity(CommunityInput(name=f'RefClient second {suffix}'))
        expect(community.Id, 'no Id')
        return community

    second = step('Communities.createCommunity(CommunityInput(Name only))', create_second)

    def create_unicode():
        name = f'Café Ω ✓ {suffix}'
        community = communities.createCommunity(CommunityInput(name=name, description='Größe 北京'))
        expect(community.Name == name and community.Description == 'Größe 北京',
               f'round trip {community.Name!r}/{community.Description!r}')
        communities.deleteCommunity(community.Id)

    step('Communities.createCommunity(non-ASCII Name/Description, sent \\u-escaped by json.dumps), then delete',
         create_unicode)

    step('Communities.createCommunity with a name already used by the tenant -> 409',
         lambda: communities.createCommunity(CommunityInput(name=f'RefClient {suffix}')), expect_status=409)

    if main:
        def get_main():
            community = communities.getCommunityById(main.Id)
            expect(community.Id == main.Id and community.Name == main.Name, 'not the created community')
            expect(community.Tenants and community.Tenants[0].Status == CommunityTenantStatus.Active,
                   'owner tenant not Active')
            return community

        step('Communities.getCommunityById', get_main)

        def list_all():
            items = communities.getCommunities(skip=0, count=1000)
            ids = {c.Id for c in items}
            expect(main.Id in ids, 'created community not listed')
            if second:
                expect(second.Id in ids, 'second community not listed')

        step('Communities.getCommunities(skip=0, count=1000)', list_all)

        def paged():
            items = communities.getCommunities(skip=1, count=1)
            expect(len(items) == 1, f'{len(items)} items for count=1 with 2 communities')

        step('Communities.getCommunities(skip=1, count=1)', paged)

        def update_main():
            ci = CommunityInput(name=f'RefClient renamed {suffix}', description='Updated by the reference client')
            ci.Id = main.Id  # the library reads community.Id for the path; CommunityInput has no Id property
            result = communities.updateCommunity(ci)
            expect(result is None, 'updateCommunity returns nothing')
            after = communities.getCommunityById(main.Id)
            expect(after.Name == ci.Name, f'Name after update {after.Name!r}')
            expect(after.Description == ci.Description, f'Description after update {after.Description!r}')

        step('Communities.updateCommunity(CommunityInput with .Id set; Name + Description), then get', update_main)

        def update_description_only():
            ci = CommunityInput(description='Only the description changes')
            ci.Id = main.Id
            communities.updateCommunity(ci)
            after = communities.getCommunityById(main.Id)
            expect(after.Name == f'RefClient renamed {suffix}', f'Name changed to {after.Name!r}')
            expect(after.Description == ci.Description, f'Description {after.Description!r}')

        step('Communities.updateCommunity(Description only: Name keeps its value)', update_description_only)

        def update_contact():
            ci = CommunityInput(contact_email='new.owner@test.example', preferred_region_id='westus')
            ci.Id = main.Id
            communities.updateCommunity(ci)
            after = communities.getCommunityById(main.Id)
            expect(after.Tenants[0].ContactEmail == 'new.owner@test.example',
                   f'owner ContactEmail {after.Tenants[0].ContactEmail!r}')
            expect(after.PreferredRegionId == 'westus', f'PreferredRegionId {after.PreferredRegionId!r}')
            expect(after.Name == f'RefClient renamed {suffix}', f'Name changed to {after.Name!r}')

        step('Communities.updateCommunity(ContactEmail + PreferredRegionId only)', update_contact)

        def upper_case_id():
            community = communities.getCommunityById(main.Id.upper())
            expect(community.Id == main.Id, f'Id {community.Id!r} (expected lowercase {main.Id})')

        step('Communities.getCommunityById(upper-case GUID)', upper_case_id)

        step('Communities.getCommunitySummary', lambda: communities.getCommunitySummary(main.Id),
             scope='streams: outside Convene scope')
        step('Communities.getCommunityStreams', lambda: communities.getCommunityStreams(main.Id),
             scope='streams: outside Convene scope')
        step('Communities.getCommunityStreams(search_tenant_id=tenant)',
             lambda: communities.getCommunityStreams(main.Id, query='*', search_tenant_id=tenant),
             scope='streams: outside Convene scope')
    else:
        skip('Communities.getCommunityById / update / summary / streams', 'createCommunity failed')

    def update_unknown():
        ci = CommunityInput(name=f'RefClient ghost {suffix}')
        ci.Id = str(uuid.uuid4())
        communities.updateCommunity(ci)

    step('Communities.updateCommunity(unknown GUID) -> 404', update_unknown, expect_status=404)
    step('Communities.getCommunities(count=0) -> 400 (count is 1..1000)',
         lambda: communities.getCommunities(count=0), expect_status=400)
    step('Communities.getCommunityById(unknown GUID) -> 404',
         lambda: communities.getCommunityById(str(uuid.uuid4())), expect_status=404)
    step('Communities.getCommunityById("not-a-guid") -> 400',
         lambda: communities.getCommunityById('not-a-guid'), expect_status=400)

    if second:
        step('Communities.deleteCommunity -> 204', lambda: communities.deleteCommunity(second.Id))
        step('Communities.getCommunityById after delete -> 404',
             lambda: communities.getCommunityById(second.Id), expect_status=404)
        step('Communities.deleteCommunity again -> 404',
             lambda: communities.deleteCommunity(second.Id), expect_status=404)

    # ---------------- Roles ----------------
    section('Roles')

    def list_roles():
        items = roles_api.getRoles()
        by_type = {r.RoleTypeId: r for r in items if r.RoleTypeId}
        for type_id in (Roles.TenantAdministratorRoleTypeId, Roles.TenantContributorRoleTypeId,
                        Roles.TenantDataStewardRoleTypeId, Roles.TenantMemberRoleTypeId,
                        Roles.TenantViewerRoleTypeId):
            expect(type_id in by_type, f'built-in tenant role {type_id} missing')
            expect(by_type[type_id].RoleScope == RoleScope.Tenant, f'{type_id} RoleScope {by_type[type_id].RoleScope}')
            expect(by_type[type_id].TenantId == tenant, f'{type_id} TenantId {by_type[type_id].TenantId!r}')
        if main:
            community_roles = [r for r in items if r.CommunityId == main.Id]
            expect(len(community_roles) == 3, f'{len(community_roles)} roles of the community in the tenant list')
            for role in community_roles:
                expect(role.RoleScope == RoleScope.Community, f'community role RoleScope {role.RoleScope!r}')
        state['roles'] = items
        state['role_by_type'] = by_type
        return items

    step('Roles.getRoles() (built-in tenant roles by RoleTypeId + community roles)', list_roles)
    step('Roles.getRoles(skip=0, count=1000)', lambda: roles_api.getRoles(skip=0, count=1000))

    def paged_roles():
        items = roles_api.getRoles(skip=2, count=2)
        expect(len(items) == 2, f'{len(items)} roles for count=2')

    step('Roles.getRoles(skip=2, count=2)', paged_roles)

    by_type = state.get('role_by_type', {})
    admin_role = by_type.get(Roles.TenantAdministratorRoleTypeId)
    member_role = by_type.get(Roles.TenantMemberRoleTypeId)
    viewer_role = by_type.get(Roles.TenantViewerRoleTypeId)
    if admin_role:
        def get_admin():
            role = roles_api.getRoleById(admin_role.Id)
            expect(role.RoleTypeId == Roles.TenantAdministratorRoleTypeId, f'RoleTypeId {role.RoleTypeId!r}')
            expect(role.RoleScope == RoleScope.Tenant, f'RoleScope {role.RoleScope!r}')

        step('Roles.getRoleById(Tenant Administrator)', get_admin)
    if main:
        def get_community_role():
            role = roles_api.getRoleById(main.MemberRoleId)
            expect(role.RoleScope == RoleScope.Community and role.CommunityId == main.Id, 'not the community role')

        step('Roles.getRoleById(a community role of the tenant\'s community)', get_community_role)

    def create_custom():
        role = roles_api.createRole(Role(name=f'Ref custom {suffix}', description='Custom tenant role',
                                         role_scope=RoleScope.Tenant))
        expect(GUID_RE.match(role.Id or ''), f'Id {role.Id!r}')
        expect(role.RoleScope == RoleScope.Tenant, f'RoleScope {role.RoleScope!r}')
        expect(role.TenantId == tenant, f'TenantId {role.TenantId!r}')
        expect(role.RoleTypeId is None, f'custom role has RoleTypeId {role.RoleTypeId!r}')
        expect(role.Name == f'Ref custom {suffix}', f'Name {role.Name!r}')
        return role

    custom = step('Roles.createRole(Role(Name, Description, RoleScope.Tenant)) -> 201', create_custom)

    def create_custom_with_tenant():
        role = roles_api.createRole(Role(name=f'Ref custom two {suffix}', description=None,
                                         role_scope=RoleScope.Tenant, tenant_id=tenant))
        expect(role.Id and role.TenantId == tenant, 'bad role')
        return role

    custom2 = step('Roles.createRole(Role with TenantId set, Description None)', create_custom_with_tenant)

    if admin_role:
        step('Roles.getRoleById(upper-case GUID)', lambda: roles_api.getRoleById(admin_role.Id.upper()))
    if custom:
        def get_custom():
            role = roles_api.getRoleById(custom.Id)
            expect(role.Name == custom.Name, f'Name {role.Name!r}')

        step('Roles.getRoleById(custom role)', get_custom)

        def update_custom():
            changed = Role(id=custom.Id, name=f'Ref custom renamed {suffix}', description='Changed',
                           role_scope=custom.RoleScope, tenant_id=custom.TenantId)
            role = roles_api.updateRole(changed)
            expect(role.Name == changed.Name and role.Description == 'Changed',
                   f'returned Name/Description {role.Name!r}/{role.Description!r}')
            after = roles_api.getRoleById(custom.Id)
            expect(after.Name == changed.Name, f'Name after update {after.Name!r}')

        step('Roles.updateRole(custom role: Name + Description) -> 200 Role', update_custom)

        def update_from_get():
            # the common pattern: fetch, modify, send back everything the library serialises
            role = roles_api.getRoleById(custom.Id)
            role.Description = 'Changed again'
            updated = roles_api.updateRole(role)
            expect(updated.Description == 'Changed again', f'Description {updated.Description!r}')

        step('Roles.updateRole(role as returned by getRoleById, Description changed)', update_from_get)
    if viewer_role:
        step('Roles.updateRole(built-in Tenant Viewer) -> 409',
             lambda: roles_api.updateRole(Role(id=viewer_role.Id, name='Hacked', description='x',
                                               role_scope=RoleScope.Tenant)), expect_status=409)
        step('Roles.deleteRole(built-in Tenant Viewer) -> 409',
             lambda: roles_api.deleteRole(viewer_role.Id), expect_status=409)
    step('Roles.getRoleById(unknown GUID) -> 404', lambda: roles_api.getRoleById(str(uuid.uuid4())),
         expect_status=404)
    step('Roles.getRoles(count=1001) -> 400 (count is 1..1000)', lambda: roles_api.getRoles(count=1001),
         expect_status=400)
    step('Roles.createRole(Role with RoleScope.Community) -> 400 (only custom tenant roles)',
         lambda: roles_api.createRole(Role(name=f'Ref community-scoped {suffix}', description='x',
                                           role_scope=RoleScope.Community)), expect_status=400)
    if custom2:
        step('Roles.deleteRole(custom role) -> 204', lambda: roles_api.deleteRole(custom2.Id))
        step('Roles.getRoleById after delete -> 404', lambda: roles_api.getRoleById(custom2.Id), expect_status=404)
        step('Roles.deleteRole again -> 404', lambda: roles_api.deleteRole(custom2.Id), expect_status=404)

    # ---------------- Users ----------------
    section('Users')

    step('Users.getUsers() (skip=0, count=100)', lambda: users_api.getUsers())

    def create_without_email():
        user = users_api.createUser(User(contact_email=f'contact.{suffix}@test.example', contact_given_name='Ada',
                                         contact_surname='Lovelace',
                                         identity_provider_id=Users.MicrosoftIdentityProviderId))
        expect(GUID_RE.match(user.Id or ''), f'Id {user.Id!r}')
        expect(user.ContactEmail == f'contact.{suffix}@test.example', f'ContactEmail {user.ContactEmail!r}')
        expect(user.IdentityProviderId == Users.MicrosoftIdentityProviderId,
               f'IdentityProviderId {user.IdentityProviderId!r}')
        if member_role:
            expect(user.RoleIds and member_role.Id in user.RoleIds, f'Tenant Member not in RoleIds {user.RoleIds!r}')
        return user

    user1 = step('Users.createUser(User without Email: ContactEmail/ContactGivenName/ContactSurname/'
                 'IdentityProviderId) -> 201', create_without_email)

    def create_with_roles():
        role_ids = [custom.Id] if custom else []
        user = users_api.createUser(User(email=f'user.{suffix}@test.example', given_name='Grace', surname='Hopper',
                                         name='Grace Hopper', contact_email=f'user.{suffix}@test.example',
                                         role_ids=role_ids))
        expect(user.Email == f'user.{suffix}@test.example', f'Email {user.Email!r}')
        if custom:
            expect(user.RoleIds and custom.Id in user.RoleIds, f'custom role not in RoleIds {user.RoleIds!r}')
        if member_role:
            expect(user.RoleIds and member_role.Id in user.RoleIds, f'Tenant Member not in RoleIds {user.RoleIds!r}')
        return user

    user2 = step('Users.createUser(User with Email, names and RoleIds=[custom role])', create_with_roles)

    step('Users.createUser(User with neither Email nor ContactEmail) -> 400',
         lambda: users_api.createUser(User(given_name='Nobody')), expect_status=400)
    if main:
        step('Users.createUser(RoleIds=[a community role]) -> 400 (RoleIds are tenant roles)',
             lambda: users_api.createUser(User(contact_email=f'bad.{suffix}@test.example',
                                               role_ids=[main.MemberRoleId])), expect_status=400)

    if user1:
        def get_user1():
            user = users_api.getUserById(user1.Id)
            expect(user.Id == user1.Id and user.ContactEmail == user1.ContactEmail, 'not the created user')

        step('Users.getUserById', get_user1)

        def list_users():
            ids = {u.Id for u in users_api.getUsers(skip=0, count=1000)}
            expect(user1.Id in ids, 'created user not listed')

        step('Users.getUsers(skip=0, count=1000)', list_users)

        def get_or_create_existing():
            user = users_api.getOrCreateUser(User(id=user1.Id, contact_email=user1.ContactEmail))
            expect(user.Id == user1.Id, f'Id {user.Id!r}')
            expect(EXCHANGES[-1].status == 200, f'status {EXCHANGES[-1].status} (200 expected for an existing user)')

        step('Users.getOrCreateUser(existing Id) -> 200 existing user', get_or_create_existing)

    def get_or_create_new():
        new_id = str(uuid.uuid4())
        user = users_api.getOrCreateUser(User(id=new_id, contact_email=f'goc.{suffix}@test.example',
                                              contact_given_name='Get', contact_surname='OrCreate'))
        expect(user.Id == new_id, f'Id {user.Id!r} (expected the id from the path)')
        expect(EXCHANGES[-1].status == 201, f'status {EXCHANGES[-1].status} (201 expected)')
        return user

    user3 = step('Users.getOrCreateUser(new Id) -> 201 created with that Id', get_or_create_new)

    if user1:
        def put_update():
            users_api.createOrUpdateUser(User(id=user1.Id, given_name='Changed', contact_given_name='Augusta'))
            expect(EXCHANGES[-1].status == 200, f'status {EXCHANGES[-1].status} (200 expected)')
            after = users_api.getUserById(user1.Id)
            expect(after.GivenName == 'Changed', f'GivenName {after.GivenName!r}')
            expect(after.ContactGivenName == 'Augusta', f'ContactGivenName {after.ContactGivenName!r}')
            expect(after.ContactEmail == user1.ContactEmail, f'ContactEmail lost: {after.ContactEmail!r}')
            expect(after.IdentityProviderId == Users.MicrosoftIdentityProviderId, 'IdentityProviderId lost')

        step('Users.createOrUpdateUser(existing Id, partial) -> 200, absent properties kept', put_update)

    def put_create():
        new_id = str(uuid.uuid4())
        users_api.createOrUpdateUser(User(id=new_id, contact_email=f'put.{suffix}@test.example'))
        expect(EXCHANGES[-1].status == 201, f'status {EXCHANGES[-1].status} (201 expected)')
        user = users_api.getUserById(new_id)
        expect(user.Id == new_id, 'not found after PUT create')
        return user

    user4 = step('Users.createOrUpdateUser(new Id) -> 201', put_create)

    # user invitations (ADH tenant user invitations; not the community invitations of the contract)
    step('Users.getInvitations()', lambda: users_api.getInvitations(),
         scope='tenant user invitations: not in CONTRACT')

    def get_invitation():
        try:
            return users_api.getInvitationById(str(uuid.uuid4()))
        except KeyError as error:
            raise LibraryDefect(f'KeyError {error}: the path template has {{invitation_id}} but the method formats '
                                'it with user_id=, so no request is ever sent') from error

    step('Users.getInvitationById', get_invitation, scope='tenant user invitations: not in CONTRACT')

    invite_target = user1.Id if user1 else str(uuid.uuid4())
    expires = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() + 7 * 86400))
    step('Users.getOrCreateInvitation(user, UserInvitation(ExpiresDateTime, SendInvitation=True))',
         lambda: users_api.getOrCreateInvitation(
             invite_target, UserInvitation(expires_date_time=expires, send_invitation=True,
                                           identity_provider_id=Users.MicrosoftIdentityProviderId)),
         scope='tenant user invitations: not in CONTRACT')
    step('Users.createOrUpdateInvitation(user, UserInvitation(ExpiresDateTime, SendInvitation=True))',
         lambda: users_api.createOrUpdateInvitation(
             invite_target, UserInvitation(expires_date_time=expires, send_invitation=True)),
         scope='tenant user invitations: not in CONTRACT')

    def delete_invitation():
        try:
            users_api.deleteInvitation(invite_target)
        except KeyError as error:
            raise LibraryDefect(f'KeyError {error}: the path template has {{user_id}} but the method formats it '
                                'with stream_id=, so no request is ever sent') from error

    step('Users.deleteInvitation', delete_invitation, scope='tenant user invitations: not in CONTRACT')

    if user4:
        step('Users.deleteUser -> 204', lambda: users_api.deleteUser(user4.Id))
        step('Users.getUserById after delete -> 404', lambda: users_api.getUserById(user4.Id), expect_status=404)
        step('Users.deleteUser again -> 404', lambda: users_api.deleteUser(user4.Id), expect_status=404)
    step('Users.getUserById("not-a-guid") -> 400', lambda: users_api.getUserById('not-a-guid'), expect_status=400)

    # ---------------- BaseClient behaviours ----------------
    section('BaseClient behaviours')

    if main:
        def verbose():
            adh.acceptverbosity = True
            try:
                community = communities.getCommunityById(main.Id)
                sent = EXCHANGES[-1].request_headers
                expect(sent.get('Accept-Verbosity') == 'verbose', 'Accept-Verbosity not sent')
                expect(community.Id == main.Id, 'wrong community')
                body = json.loads(EXCHANGES[-1].response_body)
                expect('PreferredRegionId' in body, 'verbose response omits the null PreferredRegionId')
                roles_api.getRoles()
                users_api.getUsers()
            finally:
                adh.acceptverbosity = False

        step('AcceptVerbosity=True (Accept-Verbosity: verbose): getCommunityById/getRoles/getUsers parse', verbose)

        def non_verbose():
            response = base_client.request('get', f'{base_client.uri_API}-preview/Communities/{main.Id}',
                                           headers=base_client.sdsNonVerboseHeader())
            base_client.checkResponse(response, 'non-verbose')
            body = response.json()
            expect(all(v is not None for v in body.values()), 'non-verbose response contains nulls')

        step('BaseClient.sdsNonVerboseHeader (lower-case accept-verbosity: non-verbose)', non_verbose)

        def community_header():
            response = base_client.request('get', f'{base_client.uri_API}-preview/Communities',
                                           additional_headers=BaseClient.getCommunityIdHeader(main.Id))
            base_client.checkResponse(response, 'with Community-id')
            response = base_client.request('get', f'{base_client.uri_API}-preview/Communities',
                                           headers=base_client.communityHeaders(main.Id))
            base_client.checkResponse(response, 'with community-id')

        step('BaseClient Community-id header (getCommunityIdHeader / communityHeaders) is tolerated',
             community_header)

    def request_timeout():
        adh.request_timeout = 30
        try:
            roles_api.getRoles()
            expect(EXCHANGES[-1].request_headers.get('Request-Timeout') == '30', 'Request-Timeout not sent')
            communities.getCommunities()
        finally:
            adh.request_timeout = None

    step('RequestTimeout=30 (Request-Timeout: 30 header) accepted', request_timeout)

    def fractional_timeout():
        adh.request_timeout = 2.5
        try:
            communities.getCommunities()
            expect(EXCHANGES[-1].request_headers.get('Request-Timeout') == '2.5', 'Request-Timeout not sent')
        finally:
            adh.request_timeout = None

    step('RequestTimeout=2.5 (fractional seconds) accepted', fractional_timeout)

    def trailing_slash():
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, 'appsettings.json')
            with open(path, 'w') as f:
                json.dump({'Resource': url.rstrip('/') + '/', 'ApiVersion': 'v1', 'TenantId': tenant,
                           'ClientId': client_id, 'ClientSecret': client_secret}, f)
            other, _ = ADHClient.fromAppsettings(path)
        other.Communities.getCommunities()
        other.Roles.getRoles()
        other.Users.getUsers()
        if main:
            other.Communities.getCommunityById(main.Id)

    step('Resource with a trailing slash (//identity/..., //api/...)', trailing_slash)

    def bad_token():
        auth_token = auth._Authentication__token
        auth_expiration = auth._Authentication__expiration
        auth._Authentication__token = 'not-a-jwt'
        auth._Authentication__expiration = time.time() + 3600
        try:
            communities.getCommunities()
        finally:
            auth._Authentication__token = auth_token
            auth._Authentication__expiration = auth_expiration

    step('Invalid bearer token -> 401 ErrorResponse', bad_token, expect_status=401)

    def no_token():
        anonymous = BaseClient('v1', tenant, url)  # client_id None: no Authorization header
        Communities(anonymous).getCommunities()

    step('No Authorization header -> 401 ErrorResponse', no_token, expect_status=401)

    # ---------------- Multi-tenant community (optional) ----------------
    if second_tenant and main:
        multi_tenant(url, tenant, main, second_tenant, adh, suffix)
    elif not second_tenant:
        skip('Multi-tenant community section', 'no second tenant given (--second-tenant-json)')

    # ---------------- Cleanup ----------------
    section('Cleanup')
    for user in (user1, user2, user3):
        if user:
            step(f'Users.deleteUser({user.Id})', lambda u=user: users_api.deleteUser(u.Id))
    if custom:
        step('Roles.deleteRole(custom role)', lambda: roles_api.deleteRole(custom.Id))
    if main:
        step('Communities.deleteCommunity(main)', lambda: communities.deleteCommunity(main.Id))

        def roles_gone():
            items = roles_api.getRoles(count=1000)
            expect(not [r for r in items if r.CommunityId == main.Id], 'deleted community\'s roles still listed')

        step('Roles.getRoles after deleteCommunity: its community roles are gone', roles_gone)

    # ---------------- Wire-level conventions over everything recorded ----------------
    section('Wire conventions over all recorded exchanges')
    wire_checks()
    return summarize()


def multi_tenant(url: str, tenant: str, main, second: dict[str, str], adh, suffix: str):
    """A second tenant joins the community through the invitation handshake (sent with the library's own
    BaseClient.request plumbing: the library has no invitation module), then both tenants use the library's
    Communities and Roles modules on a community with two member tenants, one of them Paused."""
    from adh_sample_library_preview import ADHClient
    from adh_sample_library_preview.Community import CommunityInput, CommunityTenantStatus
    from adh_sample_library_preview.Security import RoleScope

    section('Multi-tenant community (second tenant joins, then is paused)')
    other = step('second tenant: ADHClient(...) gets a token',
                 lambda: ADHClient('v1', second['tenant'], url, second['client_id'], second['client_secret']))
    if other is None:
        return
    a, b = adh.baseClient, other.baseClient
    preview = a.uri_API + '-preview'

    def call(client, method, path, body=None, expected=(200, 201, 202, 204)):
        response = client.request(method, preview + path, data=None if body is None else json.dumps(body))
        client.checkResponse(response, f'{method} {path}')
        expect(response.status_code in expected, f'{method} {path} answered {response.status_code}')
        return response.json() if response.content else None

    def handshake():
        invitation = call(a, 'post', f'/communities/{main.Id}/invitations',
                          {'InvitationRecipient': f'admin.{suffix}@second.example'})
        call(b, 'put', f'/communityinvitations/{invitation["Id"]}',
             {'Action': 'Accept', 'ContactEmail': f'contact.{suffix}@second.example'})
        call(a, 'put', f'/communityinvitations/{invitation["Id"]}', {'Action': 'Confirm'})

    if step('setup: invite (owner), Accept (second tenant), Confirm (owner) via BaseClient.request', handshake) \
            is None and RESULTS[-1].outcome == 'FAIL':
        return

    def owner_view(status):
        community = adh.Communities.getCommunityById(main.Id)
        by_id = {t.Id: t for t in community.Tenants or []}
        expect(second['tenant'] in by_id, 'second tenant not in Tenants')
        expect(by_id[second['tenant']].Status == status, f'second tenant Status {by_id[second["tenant"]].Status!r}')
        expect(by_id[tenant].Status == CommunityTenantStatus.Active, 'owner not Active')
        adh.Communities.getCommunities(count=1000)

    step('owner: Communities.getCommunityById/getCommunities with two Active tenants',
         lambda: owner_view(CommunityTenantStatus.Active))

    def member_view():
        ids = {c.Id for c in other.Communities.getCommunities()}
        expect(main.Id in ids, 'the joined community is not listed for the member tenant')
        community = other.Communities.getCommunityById(main.Id)
        expect(len(community.Tenants or []) == 2, f'{len(community.Tenants or [])} tenants seen by the member')

    step('member: Communities.getCommunities/getCommunityById', member_view)

    def member_roles():
        roles = other.Roles.getRoles(count=1000)
        community_roles = [r for r in roles if r.CommunityId == main.Id]
        for role in community_roles:
            expect(role.RoleScope == RoleScope.Community, f'RoleScope {role.RoleScope!r}')
        return len(community_roles)

    count = step('member: Roles.getRoles (parses; community roles of a joined community listed?)', member_roles)
    if count is not None:
        info('member: community roles of the joined community in its tenant role list', f'{count} listed')

    def member_update():
        ci = CommunityInput(name=f'Hijacked {suffix}')
        ci.Id = main.Id
        other.Communities.updateCommunity(ci)

    step('member: Communities.updateCommunity -> 403 (only the owner\'s C-admin)', member_update, expect_status=403)
    step('member: Communities.deleteCommunity -> 403', lambda: other.Communities.deleteCommunity(main.Id),
         expect_status=403)

    step('setup: owner pauses the second tenant (PUT /communities/{C}/tenants/{T} Status Paused)',
         lambda: call(a, 'put', f'/communities/{main.Id}/tenants/{second["tenant"]}', {'Status': 'Paused'}))
    step('owner: Communities.getCommunityById parses Status Paused',
         lambda: owner_view(CommunityTenantStatus.Paused))

    def paused_member_list():
        ids = {c.Id for c in other.Communities.getCommunities()}
        expect(main.Id in ids, 'the community is not listed for its paused member')

    def paused_member_get():
        community = other.Communities.getCommunityById(main.Id)
        mine = [t for t in community.Tenants or [] if t.Id == second['tenant']]
        expect(mine and mine[0].Status == CommunityTenantStatus.Paused, 'own Status is not Paused')

    silent = 'contract silent; ADH lists every community a tenant participates in, pause stops sharing'
    step('paused member: Communities.getCommunities lists the community', paused_member_list, scope=silent)
    step('paused member: Communities.getCommunityById shows its own Status Paused', paused_member_get, scope=silent)
    step('setup: owner removes the second tenant (DELETE /communities/{C}/tenants/{T}, JSON content type, no body)',
         lambda: call(a, 'delete', f'/communities/{main.Id}/tenants/{second["tenant"]}'))


def wire_checks():
    answered = [e for e in EXCHANGES if e.status is not None]
    missing_op = [e for e in answered if 'Operation-Id' not in e.response_headers]
    info('Operation-Id header on every response',
         'all present' if not missing_op else
         f'MISSING on {len(missing_op)}: ' + '; '.join(f'{e.method} {e.url} -> {e.status}' for e in missing_op[:5]))
    if missing_op:
        RESULTS[-1].outcome = 'FAIL'
    errors = [e for e in answered if (e.status < 200 or e.status >= 300) and '/connect/token' not in e.url]
    bad_type = [e for e in errors if e.response_headers.get('Content-Type') != 'application/json']
    info('Error responses have Content-Type exactly application/json',
         f'{len(errors)} error responses, all exact' if not bad_type else
         '; '.join(f'{e.method} {e.url} -> {e.status} {e.response_headers.get("Content-Type")!r}' for e in bad_type))
    if bad_type:
        RESULTS[-1].outcome = 'FAIL'
    lists = [e for e in answered if e.method == 'GET' and e.status == 200 and e.response_body.startswith('[')]
    no_total = [e for e in lists if 'Total-Count' not in e.response_headers]
    info('Total-Count on list GETs', f'{len(lists)} list responses, all carry it' if not no_total else
         '; '.join(f'{e.url}' for e in no_total[:5]))
    if no_total:
        RESULTS[-1].outcome = 'FAIL'


def summarize() -> int:
    in_scope_fail = [r for r in RESULTS if r.outcome == 'FAIL' and r.scope == 'in']
    out_fail = [r for r in RESULTS if r.outcome == 'FAIL' and r.scope != 'in']  # labelled out of scope
    passed = [r for r in RESULTS if r.outcome == 'PASS']
    print('\n=== Summary ===')
    print(f'PASS {len(passed)}, FAIL {len(in_scope_fail)} in scope, FAIL {len(out_fail)} labelled outside scope, '
          f'SKIP {len([r for r in RESULTS if r.outcome == "SKIP"])}')
    for r in in_scope_fail:
        print(f'  FAIL {r.name}  HTTP {r.status}')
    for r in out_fail:
        print(f'  FAIL [{r.scope}] {r.name}  HTTP {r.status}')
    return 1 if in_scope_fail else 0


def main() -> int:
    global TRACE
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--library', default=os.environ.get('ADH_SAMPLE_LIBRARY'))
    parser.add_argument('--url', default=os.environ.get('CONVENE_URL'))
    parser.add_argument('--tenant', default=os.environ.get('CONVENE_TENANT_ID'))
    parser.add_argument('--client-id', default=os.environ.get('CONVENE_CLIENT_ID'))
    parser.add_argument('--client-secret', default=os.environ.get('CONVENE_CLIENT_SECRET'))
    parser.add_argument('--tenant-json', help='output of `convene tenant create`')
    parser.add_argument('--second-tenant-json', default=os.environ.get('CONVENE_SECOND_TENANT_JSON'),
                        help='output of `convene tenant create` for a second tenant: enables the multi-tenant '
                             'community section (invitation handshake, Paused status)')
    parser.add_argument('--trace', action='store_true', help='print every HTTP exchange')
    args = parser.parse_args()
    TRACE = args.trace

    if args.tenant_json:
        with open(args.tenant_json) as f:
            created = json.load(f)
        args.tenant = args.tenant or created['Tenant']['Id']
        args.client_id = args.client_id or created['Client'].get('ClientId') or created['Client']['Id']
        args.client_secret = args.client_secret or created['Client']['ClientSecret']

    missing = [name for name, value in (('ADH_SAMPLE_LIBRARY', args.library), ('CONVENE_URL', args.url),
                                        ('CONVENE_TENANT_ID', args.tenant), ('CONVENE_CLIENT_ID', args.client_id),
                                        ('CONVENE_CLIENT_SECRET', args.client_secret)) if not value]
    if missing:
        print(f'missing configuration: {", ".join(missing)} (see --help)', file=sys.stderr)
        return 2
    if not os.path.isdir(os.path.join(args.library, 'adh_sample_library_preview')):
        print(f'{args.library} does not contain adh_sample_library_preview', file=sys.stderr)
        return 2
    sys.path.insert(0, os.path.abspath(args.library))
    print(f'library: {args.library}\nconvene: {args.url}\ntenant:  {args.tenant}\nclient:  {args.client_id}')
    second_tenant = None
    if args.second_tenant_json:
        with open(args.second_tenant_json) as f:
            created = json.load(f)
        second_tenant = {'tenant': created['Tenant']['Id'],
                  'client_id': created['Client'].get('ClientId') or created['Client']['Id'],
                  'client_secret': created['Client']['ClientSecret']}
    return run(args.url, args.tenant, args.client_id, args.client_secret, second_tenant)


if __name__ == '__main__':
    sys.exit(main())
