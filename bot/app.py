"""The app factory: a Bolt app with every listener registered, built from settings."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot import listener_runner, responding, response_urls
from bot.rate_limit import SlackPacer
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from handlers import (
    claims,
    collider,
    errors,
    ideas,
    participation,
    pipeline,
    polls,
    privacy,
    programme,
    rounds,
    similar,
    themes,
)
from handlers.context import Deps
from handlers.listening import install
from handlers.outgoing_views import SlackViews
from handlers.slack_users import SlackDirectory
from models.db import Database
from services.outgoing import Outbound
from services.programme_home import ProgrammeHome

# Bolt tries listeners in this order. collider comes after every module with ``/collider``
# subcommands (its catch-all answers unknown ones); errors comes last: its catch-alls answer
# what no other listener claimed.
LISTENER_MODULES = (
    ideas,
    similar,
    rounds,
    participation,
    polls,
    programme,
    privacy,
    themes,
    pipeline,
    claims,
    collider,
    errors,
)


def create_app(
    settings: Settings,
    database: Database,
    *,
    client: WebClient | None = None,
    verify_token: bool = True,
    listener_executor: Executor | None = None,
    worker_executor: Executor | None = None,
    pacer: SlackPacer | None = None,
    programme_home: ProgrammeHome | None = None,
) -> App:
    """Build the app. Nothing here runs at import time; the caller decides how it is served.

    ``listener_executor`` and ``worker_executor`` replace the listener pool and the pool for long
    work (the console passes pools it can watch, to know when the work after an ack is done).
    ``programme_home`` keeps App Home's programme figures (the tests pass one with their clock).
    """
    client = client or make_web_client(settings)
    gateway = SlackGateway(client, pacer)
    deps = Deps(
        settings=settings,
        database=database,
        workers=worker_executor
        or ThreadPoolExecutor(settings.worker_threads, thread_name_prefix="collider-work"),
        gateway=gateway,
        outbound=Outbound(database, gateway, SlackViews(), settings),
        directory=SlackDirectory(client),
        programme_home=programme_home or ProgrammeHome(),
    )
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        # Without a signing secret (Socket Mode) there is nothing to verify; Socket Mode
        # requests are authenticated by the app token's connection.
        request_verification_enabled=bool(settings.slack_signing_secret),
        token_verification_enabled=verify_token,
        # Bolt's default pool has 5 threads, shared with lazy listeners: too few under load.
        listener_executor=listener_executor
        or ThreadPoolExecutor(settings.listener_threads, thread_name_prefix="collider-listener"),
        logger=logging.getLogger("collider.bolt"),
    )
    install(app, deps)
    # Beside the well-formed check (``install``): a request whose response URL is not Slack's
    # is refused before any listener, so nothing is stored or posted for it.
    response_urls.install(app, settings.slack_api_url)
    # Listeners' ``respond`` through the gateway, over the process's kept-alive connections.
    responding.install(app, gateway)
    # Before registration: app.error() then sets its handler on the runner that is used.
    listener_runner.install(app)
    for module in LISTENER_MODULES:
        module.register(app, deps)
    return app
