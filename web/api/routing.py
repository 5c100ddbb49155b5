"""How an API route is declared and run.

    api("GET", "/api/accounts/{id:int}", get_account, permission="accounts.manage", response=AccountPublic)

A route names its permission (web.permissions), the pydantic model of its body and of its answer, and
the login stages it accepts. The wrapper does the rest in the same order for every route: origin and
CSRF checks, authentication, permission, body validation, one database transaction with the audit actor
set, the handler, serialisation, and problem documents for every refusal. Handlers are plain sync
functions of (ctx, body?, **path params) run in the thread pool; they never touch the request's
plumbing.
"""

from __future__ import annotations

import json

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from web import i18n, side_effects
from web.domain import audit
from web.api import db_retry, json_body, params
from web.api.problems import Problem, from_validation_error, problem_response
from web.db import session_scope
from web.permissions import PERMISSIONS, TENANT_SCOPED, allowed
from web.settings import Settings

log = logging.getLogger("web.api")

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALL_STAGES = frozenset({"2fa", "password", "enrol", "full"})
FULL = frozenset({"full"})
MAX_BODY_BYTES = 1_000_000

# What a caller stuck in a login stage is told when it asks for something else.
_STAGE_PROBLEM = {
    "2fa": "second_factor_required",
    "password": "password_change_required",
    "enrol": "second_factor_enrolment_required",
}


@dataclass
class RequestContext:
    """What a handler gets: the caller, its tenant, the database session, and a way to set cookies."""

    request: Request
    db: Session
    settings: Settings
    lang: str
    source_ip: str
    account: Any = None  # web.models.Account
    login_session: Any = None  # web.models.LoginSession, for cookie logins
    via_token: bool = False
    api_token: Any = None  # web.models.ApiToken, for token logins
    cookies: list[tuple[str, dict]] = field(default_factory=list)
    deferred: list[Callable[[], Any]] = field(default_factory=list)
    # members an after-commit action adds to the JSON answer (what FreeSWITCH said to a change)
    answer_extra: dict = field(default_factory=dict)

    @property
    def role(self) -> str | None:
        return self.account.role if self.account is not None else None

    @property
    def tenant_id(self) -> int | None:
        return self.account.tenant_id if self.account is not None else None

    @property
    def user_agent(self) -> str:
        return self.request.headers.get("user-agent", "")[:300]

    def actor(self) -> audit.Actor:
        if self.account is None:
            return audit.Actor(account_id=None, email="anonymous", tenant_id=None, source_ip=self.source_ip)
        return audit.Actor(self.account.id, self.account.email, self.account.tenant_id, self.source_ip)

    def act_as(self, account) -> None:
        """Blame later changes in this transaction on `account` (used right after it logs in)."""
        self.account = account
        self.db.info["actor"] = self.actor()

    def after_commit(self, action: Callable[[], Any]) -> None:
        """Run `action` once the transaction has committed (mail must not announce a rolled-back row)."""
        self.deferred.append(action)

    def set_cookie(self, name: str, value: str, **options) -> None:
        self.cookies.append((name, {"value": value, **options}))

    def delete_cookie(self, name: str) -> None:
        self.cookies.append((name, {"delete": True}))


def client_ip(request: Request, settings: Settings) -> str:
    """The caller's address; X-Forwarded-For is believed only from a configured proxy."""
    peer = request.client.host if request.client else ""
    if peer in settings.trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return peer


def _origin_allowed(request: Request, settings: Settings) -> bool:
    """A browser's cross-site write carries a foreign Origin; refuse it even before CSRF tokens."""
    origin = request.headers.get("origin")
    if not origin:
        return True  # not a browser, or a same-origin GET-like navigation
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    own = {urlsplit(settings.public_base_url).netloc, request.headers.get("host", "")}
    return parts.netloc in own


class ApiRoute(Route):
    def __init__(
        self,
        method: str,
        path: str,
        handler: Callable,
        *,
        permission: str,
        body: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
        summary: str = "",
        stages: Iterable[str] = FULL,
        model: type | None = None,
        csrf: bool = True,
        max_body: int = MAX_BODY_BYTES,
        form_fields: dict[str, str] | None = None,
    ):
        if permission not in PERMISSIONS:
            raise ValueError(f"{path}: unknown permission {permission!r}")
        self.handler = handler
        self.permission = permission
        self.body_model = body
        self.response_model = response
        self.status = status
        self.summary = summary or (handler.__doc__ or "").strip().split("\n")[0]
        self.stages = frozenset(stages)
        self.model = model  # the tenant-owned table a `{id}` in the path refers to (isolation tests)
        self.csrf = csrf
        self.max_body = max_body
        # multipart/form-data routes read their own body; this only describes it (name -> "file"|"string")
        self.form_fields = form_fields
        super().__init__(path, self._endpoint, methods=[method], name=handler.__name__)
        self.method = method

    async def _endpoint(self, request: Request) -> Response:
        settings: Settings = request.app.state.settings
        lang = i18n.negotiate(request.headers.get("accept-language"))
        try:
            if self.method in UNSAFE_METHODS and not _origin_allowed(request, settings):
                raise Problem(403, "cross_origin")
            raw = await self._read_limited(request) if self.body_model is not None else None
            return await run_in_threadpool(self._run, request, settings, lang, raw)
        except Problem as problem:
            return problem_response(problem, lang)

    async def _read_limited(self, request: Request) -> bytes:
        """The body, refused with 413 as soon as it passes the route's limit (never read whole first)."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise Problem(413, "body_too_large")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise Problem(413, "body_too_large")
            chunks.append(chunk)
        return b"".join(chunks)

    def _parse_body(self, raw: bytes) -> BaseModel:
        """The body as the route's model; refused with pointers to every field at fault."""
        data = json_body.parse(raw)
        if not isinstance(data, dict):
            raise Problem(422, "invalid", errors=[{"pointer": "", "code": "object_type", "message": "must be a JSON object"}])
        unknown = sorted(set(data) - set(self.body_model.model_fields))
        if unknown:
            raise Problem(422, "invalid", errors=[
                {"pointer": "/" + key.replace("~", "~0").replace("/", "~1"), "code": "unknown_field", "message": "is not a field of this object"}
                for key in unknown
            ])
        try:
            return self.body_model.model_validate(data)
        except ValidationError as exc:
            raise from_validation_error(exc, data=data)

    def _run(self, request: Request, settings: Settings, lang: str, raw: bytes | None) -> Response:
        from web.domain.switch import flush_directory

        chosen = [lang]  # the caller's language once known: problems raised inside are told in it
        cookies: list = []
        try:
            ctx, response, sip_users = self._transaction_retried(request, settings, raw, chosen, cookies)
            # after the commit: never run again (db_retry), whatever fails here
            for action in ctx.deferred:
                action()
            if ctx.answer_extra:
                response = _with_members(response, ctx.answer_extra)
            if sip_users:
                # FreeSWITCH caches directory entries: tell it which changed, off the request's path
                threading.Thread(target=flush_directory, args=(sip_users, settings), daemon=True).start()
        except Problem as problem:
            response = problem_response(problem, chosen[0])
        except ValidationError as exc:
            response = problem_response(from_validation_error(exc), chosen[0])
        except IntegrityError:
            log.info("integrity error on %s %s", self.method, self.path, exc_info=True)
            response = problem_response(Problem(409, "conflict"), chosen[0])
        except Exception:
            log.exception("unexpected error on %s %s", self.method, self.path)
            response = problem_response(Problem(500, "internal"), chosen[0])
        for name, options in cookies:
            if options.get("delete"):
                response.delete_cookie(name, path="/")
            else:
                response.set_cookie(name, **options)
        return response

    def _transaction_retried(self, request: Request, settings: Settings, raw: bytes | None, chosen: list,
                             cookies: list) -> tuple[RequestContext, Response, list]:
        """`_transaction`, run again in a fresh one when PostgreSQL aborted it for a deadlock or a
        serialization failure and it had done nothing outside the database yet (web/api/db_retry.py)."""
        for retry in range(db_retry.RETRIES + 1):
            if retry:
                time.sleep(db_retry.backoff(retry))
            cookies.clear()  # a cookie set by a run that was rolled back is not set
            with side_effects.watch() as effects:
                try:
                    return self._transaction(request, settings, raw, chosen, cookies)
                except (Problem, ValidationError):
                    raise  # the handler's own answer, even one it gave because of a failed statement
                except Exception as exc:
                    state = db_retry.transient_sqlstate(exc)
                    if state is None:
                        raise
                    what = db_retry.TRANSIENT[state]
                    if effects:
                        log.warning("%s (%s) on %s %s: not run again, it had %s; answered 503", what, state,
                                    self.method, self.path, ", ".join(dict.fromkeys(effects)))
                        raise _busy() from exc
                    if retry == db_retry.RETRIES:
                        log.warning("%s (%s) on %s %s: still failing after %d runs; answered 503", what, state,
                                    self.method, self.path, retry + 1)
                        raise _busy() from exc
                    log.warning("%s (%s) on %s %s: running it again in a fresh transaction (retry %d of %d)",
                                what, state, self.method, self.path, retry + 1, db_retry.RETRIES)
        raise AssertionError("unreachable")

    def _transaction(self, request: Request, settings: Settings, raw: bytes | None, chosen: list,
                     cookies: list) -> tuple[RequestContext, Response, list]:
        """One run of the handler in one transaction, committed: (context, answer, SIP users to flush)."""
        from web.auth.sessions import authenticate  # late: sessions imports the models
        from web.domain.directory_changes import changed_sip_users

        engine = request.app.state.engine
        with session_scope(engine) as db:
            ctx = RequestContext(request, db, settings, chosen[0], client_ip(request, settings), cookies=cookies)
            authenticate(ctx)
            if ctx.account is not None:
                ctx.lang = i18n.negotiate(None, ctx.account.language)
                chosen[0] = ctx.lang
            self._check_access(ctx)  # before the body: strangers learn nothing about its shape
            params.check(request.path_params, request.query_params)
            body = self._parse_body(raw) if raw is not None else None
            db.info["actor"] = ctx.actor()
            args = (ctx, body) if self.body_model is not None else (ctx,)
            result = self.handler(*args, **request.path_params)
            response = self._serialise(result)
            db.flush()
            sip_users = changed_sip_users(db) if self.method in UNSAFE_METHODS else []
        return ctx, response, sip_users

    def _check_access(self, ctx: RequestContext) -> None:
        if self.permission == "public":
            return
        if ctx.account is None:
            raise Problem(401, "unauthenticated")
        if ctx.login_session is not None and ctx.login_session.stage not in self.stages:
            raise Problem(403, _STAGE_PROBLEM.get(ctx.login_session.stage, "forbidden"))
        if not allowed(ctx.role, self.permission):
            raise Problem(403, "forbidden")
        if self.permission in TENANT_SCOPED and ctx.tenant_id is None:
            raise Problem(403, "forbidden")
        if (
            self.csrf
            and ctx.login_session is not None
            and self.method in UNSAFE_METHODS
            and not _csrf_ok(ctx)
        ):
            raise Problem(403, "csrf")

    def _serialise(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        if result is None:
            return Response(status_code=204)
        return JSONResponse(jsonable(result), status_code=self.status)


def _busy() -> Problem:
    """The database aborted the transaction (deadlock, serialization failure) and it was not run again
    or failed every time: nothing of it was kept, and the same request may be sent again."""
    return Problem(503, "database_busy", headers={"Retry-After": str(db_retry.RETRY_AFTER_S)})


def _with_members(response: Response, members: dict) -> Response:
    """A JSON object answer with more members, added after the commit (ctx.answer_extra)."""
    if not isinstance(response, JSONResponse):
        return response
    body = json.loads(response.body)
    if not isinstance(body, dict):
        return response
    answer = JSONResponse({**body, **members}, status_code=response.status_code)
    for name, value in response.headers.items():
        if name.lower() not in ("content-length", "content-type"):
            answer.headers[name] = value
    return answer


def _csrf_ok(ctx: RequestContext) -> bool:
    from web.auth.tokens import same

    sent = ctx.request.headers.get("x-csrf-token", "")
    return bool(sent) and same(sent, ctx.login_session.csrf_token)


def jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    return value


def api(method: str, path: str, handler: Callable, **options) -> ApiRoute:
    return ApiRoute(method, path, handler, **options)
