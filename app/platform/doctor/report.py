"""What the doctor found, and how it reads as text (the command) and as JSON (the page)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

from app.platform.doctor.problems import PROBLEMS, tier_number


class Status(enum.StrEnum):
    OK = "ok"
    #: Past the early threshold: not a problem yet, the next graduation trigger is near.
    WATCH = "watch"
    PROBLEM = "problem"
    #: Not applicable on this tier, or the source could not be read (the reason says which).
    SKIPPED = "skipped"


@dataclass
class Finding:
    check: str
    status: Status
    summary: str
    evidence: list[str] = field(default_factory=list)
    #: A key of ``PROBLEMS`` when the finding is a milestone problem (watch or problem).
    problem: str | None = None

    def advice(self, tier: str) -> dict[str, str] | None:
        if self.problem is None or self.status in (Status.OK, Status.SKIPPED):
            return None
        problem = PROBLEMS[self.problem]
        if tier_number(tier) >= tier_number(problem.fixed_by):
            fix = f"{problem.fixed_by}'s milestone is already on ({tier}): {problem.already}"
        else:
            fix = f"{problem.fixed_by} fixes it (you are on {tier}): {problem.fix}"
        return {"problem": problem.title, "fix": fix, "not_yet": problem.not_yet}


@dataclass
class Report:
    tier: str
    findings: list[Finding]

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.status == Status.PROBLEM]

    def as_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "problems": len(self.problems),
            "findings": [
                {
                    "check": f.check,
                    "status": f.status.value,
                    "summary": f.summary,
                    "evidence": f.evidence,
                    "advice": f.advice(self.tier),
                }
                for f in self.findings
            ],
        }

    def as_text(self) -> str:
        lines = [f"Scaling doctor — {self.tier}"]
        for finding in self.findings:
            lines.append("")
            lines.append(f"{finding.status.value.upper():8} {finding.check}: {finding.summary}")
            lines.extend(f"         {line}" for line in finding.evidence)
            if advice := finding.advice(self.tier):
                lines.append(f"         milestone problem: {advice['problem']}")
                lines.append(f"         fix: {advice['fix']}")
                lines.append(f"         not yet: {advice['not_yet']}")
        count = len(self.problems)
        lines.append("")
        lines.append("No problems found." if count == 0 else f"{count} problem{'s' if count > 1 else ''} found.")
        return "\n".join(lines)


def shorten(sql: str, limit: int = 300) -> str:
    """A statement on one line, its column list elided: the tables and the filter are what tell."""
    flat = " ".join(sql.split())
    flat = re.sub(r"^SELECT (?!COUNT)(.{60,}?) FROM ", "SELECT … FROM ", flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
