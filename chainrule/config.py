"""Every limit of chainrule: named, documented, configurable by environment variables.

Limits are read once at import; tests and deployments set the variables before start-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:  # a mistyped deployment setting must fail loudly at start-up
        raise RuntimeError(f"environment variable {name} must be a number, got {raw!r}") from exc


#: The compiled parser (setup.py) recurses on the C stack, ~1 KB per nesting level and with no
#: RecursionError to catch: 1,000 levels stay well inside a 2 MB thread stack (3,000 do not).
MAX_DEPTH_CEILING = 1_000


@dataclass(frozen=True)
class Limits:
    """Upper bounds on the work one request may ask for (env var in each field's metadata)."""

    max_expression_chars: int = 1_000_000  # CHAINRULE_MAX_EXPRESSION_CHARS
    max_nodes: int = 200_000  # CHAINRULE_MAX_NODES
    max_depth: int = 100  # CHAINRULE_MAX_DEPTH: nesting of parentheses/calls/unary ops (<= MAX_DEPTH_CEILING)
    max_tensor_elements: int = 1_000_000  # CHAINRULE_MAX_TENSOR_ELEMENTS: one value
    max_total_elements: int = 5_000_000  # CHAINRULE_MAX_TOTAL_ELEMENTS: all node values
    max_exponent: float = 1e6  # CHAINRULE_MAX_EXPONENT: |numeric literal| in `**` exponents
    max_body_bytes: int = 8_000_000  # CHAINRULE_MAX_BODY_BYTES: HTTP request body
    max_train_steps: int = 10_000  # CHAINRULE_MAX_TRAIN_STEPS
    max_train_work: int = 50_000_000  # CHAINRULE_MAX_TRAIN_WORK: steps x graph size
    max_grid: int = 101  # CHAINRULE_MAX_GRID: surface grid points per axis
    max_surface_work: int = 20_000_000  # CHAINRULE_MAX_SURFACE_WORK: grid points x graph nodes
    max_trajectory_numbers: int = 2_000_000  # CHAINRULE_MAX_TRAJECTORY_NUMBERS: steps x param elements x 2
    max_dataset_rows: int = 5_000  # CHAINRULE_MAX_DATASET_ROWS: rows of a generated dataset
    max_expand_terms: int = 64  # CHAINRULE_MAX_EXPAND_TERMS: multiply-adds of an elementwise expansion
    max_example_rows: int = 16  # CHAINRULE_MAX_EXAMPLE_ROWS: batch rows reported one by one
    max_answer_chars: int = 1_000  # CHAINRULE_MAX_ANSWER_CHARS: one arithmetic answer to an exercise
    max_diagnostics: int = 200  # CHAINRULE_MAX_DIAGNOSTICS: health flags listed per analysis
    max_mistake_visits: int = 100_000  # CHAINRULE_MAX_MISTAKE_VISITS: edge visits of the early_visit walk
    request_budget_seconds: float = 5.0  # CHAINRULE_REQUEST_BUDGET_SECONDS: compute per request
    max_response_numbers: int = 2_000_000  # CHAINRULE_MAX_RESPONSE_NUMBERS: numbers in an analysis
    max_full_tensor_elements: int = 10_000  # CHAINRULE_MAX_FULL_TENSOR_ELEMENTS: "auto" summarizes more
    max_link_chars: int = 2_000_000  # CHAINRULE_MAX_LINK_CHARS: a shared link's state, decompressed (page)
    max_link_list_entries: int = 1_000  # CHAINRULE_MAX_LINK_LIST_ENTRIES: any list in a link's state (page)
    max_compare_runs: int = 8  # CHAINRULE_MAX_COMPARE_RUNS: optimizers compared (page; one /api/train each)
    max_picture_pixels: int = 16_000_000  # CHAINRULE_MAX_PICTURE_PIXELS: one exported PNG (3 bytes each)
    max_concurrent_work: int = 2  # CHAINRULE_MAX_CONCURRENT_WORK: POST /api/* running at once, per process
    work_quantum_seconds: float = 0.05  # CHAINRULE_WORK_QUANTUM_SECONDS: compute before handing the turn on
    max_queued_work: int = 16  # CHAINRULE_MAX_QUEUED_WORK: POST /api/* waiting for a slot; more: 503
    max_client_work: int = 12  # CHAINRULE_MAX_CLIENT_WORK: computing or waiting from one client, per process
    # (the page may compare max_compare_runs optimizers at once; others keep 2 + 16 - 12 places)
    body_timeout_seconds: float = 10.0  # CHAINRULE_BODY_TIMEOUT_SECONDS: to send a request body; then 408
    max_request_entries: int = 10_000  # CHAINRULE_MAX_REQUEST_ENTRIES: one map or list of names
    # (values, data, ranges, answers, params, questions)
    max_explained_updates: int = 10_000  # CHAINRULE_MAX_EXPLAINED_UPDATES: steps x params with update text
    max_hint_chars: int = 1_000  # CHAINRULE_MAX_HINT_CHARS: one hint of /api/grade (longer: cut)
    max_seed: int = 2**53  # CHAINRULE_MAX_SEED: a generated dataset's seed
    lti_login_seconds: int = 600  # CHAINRULE_LTI_LOGIN_SECONDS: an LTI login's state and nonce live
    lti_clock_skew_seconds: int = 60  # CHAINRULE_LTI_CLOCK_SKEW_SECONDS: leeway on an id_token's exp/iat
    lti_session_seconds: int = 28_800  # CHAINRULE_LTI_SESSION_SECONDS: a launched page's session
    lti_jwks_cache_seconds: int = 3_600  # CHAINRULE_LTI_JWKS_CACHE_SECONDS: a platform's keys are kept
    lti_jwks_refetch_seconds: int = 10  # CHAINRULE_LTI_JWKS_REFETCH_SECONDS: unknown kid: refetch, once per
    lti_http_timeout_seconds: float = 5.0  # CHAINRULE_LTI_HTTP_TIMEOUT_SECONDS: one request to a platform
    lti_passback_tries: int = 10  # CHAINRULE_LTI_PASSBACK_TRIES: sends of a score before it is marked failed
    lti_passback_backoff_seconds: float = 2.0  # CHAINRULE_LTI_PASSBACK_BACKOFF_SECONDS: 1st retry; doubles
    lti_passback_wait_seconds: float = 0.2  # CHAINRULE_LTI_PASSBACK_WAIT_SECONDS: grading waits for a send
    lti_passback_poll_seconds: float = 1.0  # CHAINRULE_LTI_PASSBACK_POLL_SECONDS: the retry worker's pause
    max_lti_custom_chars: int = 200_000  # CHAINRULE_MAX_LTI_CUSTOM_CHARS: a launch's custom claim

    @classmethod
    def from_env(cls) -> Limits:
        values: dict[str, Any] = {}
        for field in fields(cls):
            env = env_name(field.name)
            default = field.default
            number = _env_number(env, float(default))  # type: ignore[arg-type]
            values[field.name] = int(number) if isinstance(default, int) else number
        if values["max_depth"] > MAX_DEPTH_CEILING:
            raise RuntimeError(f"{env_name('max_depth')} may not exceed {MAX_DEPTH_CEILING}, got "
                               f"{values['max_depth']}: the compiled parser recurses on the C stack")
        return cls(**values)


def env_name(field_name: str) -> str:
    """The environment variable that sets a limit, e.g. max_nodes -> CHAINRULE_MAX_NODES."""
    return "CHAINRULE_" + field_name.upper()


LIMITS = Limits.from_env()
