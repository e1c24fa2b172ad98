"""The use cases: plan, check, explain, record a change, a roster row. Each returns a value with
its exit code and never prints or exits; the command line and the roster only call these."""

from ivig_schedule.jobs.core import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    Outcome,
    Request,
    assess,
    exit_code_of,
    run,
    worst,
)

__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "Outcome", "Request",
           "assess", "exit_code_of", "run", "worst"]
