"""Problems as HTTP answers: application/problem+json (RFC 9457). The problems themselves are the
domain's (web/domain/problems.py); this module is where they become responses."""

from __future__ import annotations

from starlette.responses import JSONResponse

from web.domain.problems import Problem, field_problem, from_validation_error, pointer  # noqa: F401  (the API's vocabulary)

MEDIA_TYPE = "application/problem+json"


def problem_response(problem: Problem, lang: str) -> JSONResponse:
    return JSONResponse(problem.document(lang), status_code=problem.status, headers=problem.headers,
                        media_type=MEDIA_TYPE)
