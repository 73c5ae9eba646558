"""The Block Kit of messages that workflows send outside a request (``services.outgoing.Views``).

A thin adapter over the builders that also serve the listeners, so one message always looks
the same whoever sends it.
"""

from __future__ import annotations

from typing import Any

from handlers import (
    blocks,
    claim_blocks,
    poll_blocks,
    programme_blocks,
    programme_charts,
    round_blocks,
)
from handlers.pipeline_blocks import stage_moved_notice
from models import Charter, Experiment, Idea, IdeaStage, Poll, Round, StageEvaluation
from services.claims import ClaimOffer
from services.outgoing import (
    Intro,
    MoveFailures,
    ResultRequestFailures,
    RoundSummary,
    Unplaced,
)
from services.poll_reports import Report
from services.programme_report import ProgrammeReport

Message = dict[str, Any]


class SlackViews:
    def preview(self, round_: Round, language: str) -> Message:
        return round_blocks.preview_message(round_, language)

    def intro(self, intro: Intro) -> Message:
        return round_blocks.intro_message(intro)

    def unplaced(self, notice: Unplaced) -> Message:
        return round_blocks.unplaced_message(notice)

    def round_summary(self, summary: RoundSummary) -> Message:
        return round_blocks.round_summary_message(summary)

    def poll(
        self, poll: Poll, answers: dict[str, str], language: str, *, closed: bool = False
    ) -> Message:
        return poll_blocks.poll_message(poll, answers, language, closed=closed)

    def reminder(self, poll: Poll, language: str) -> Message:
        return poll_blocks.reminder_message(poll, language)

    def poll_failures(self, poll: Poll, problems: list[tuple[str, str]], language: str) -> Message:
        return poll_blocks.failures_message(poll, problems, language)

    def poll_failures_text(
        self, poll: Poll, problems: list[tuple[str, str]], language: str
    ) -> str | None:
        return poll_blocks.failures_text(poll, problems, language)

    def report(self, report: Report, language: str) -> Message:
        return poll_blocks.report_message(report, language)

    def report_text(self, report: Report, language: str) -> str:
        return poll_blocks.report_text(report, language)

    def preview_text(self, round_: Round, language: str) -> str:
        return round_blocks.preview_text(round_, language)

    def charter(self, charter: Charter, language: str) -> Message:
        return programme_blocks.charter_message(charter, language)

    def experiment_prompt(self, experiment: Experiment, language: str) -> Message:
        return programme_blocks.experiment_prompt(experiment, language)

    def experiment_card(self, experiment: Experiment, language: str) -> Message:
        return programme_blocks.experiment_card(experiment, language)

    def result_request(self, experiment: Experiment, language: str) -> Message:
        return programme_blocks.result_request(experiment, language)

    def evaluation_invite(
        self, evaluation: StageEvaluation, idea_title: str, language: str
    ) -> Message:
        return programme_blocks.evaluation_invite(evaluation, idea_title, language)

    def programme_report(self, report: ProgrammeReport, language: str) -> Message:
        return programme_blocks.report_message(report, language)

    def programme_chart(self, report: ProgrammeReport, language: str) -> bytes:
        return programme_charts.dashboard(report, language)

    def claim_offer(self, offer: ClaimOffer, language: str) -> Message:
        return claim_blocks.claim_offer_message(offer, language)

    def stage_moved(self, idea: Idea, change: IdeaStage, language: str) -> Message:
        return stage_moved_notice(idea, change, language)

    def move_failures(self, failures: MoveFailures) -> Message:
        return programme_blocks.move_failures_message(failures)

    def result_request_failures(self, failures: ResultRequestFailures) -> Message:
        return programme_blocks.result_request_failures_message(failures)

    def notice(self, text: str) -> Message:
        return blocks.notice(text)
