"""Developer tools, never used in production: the terminal console, the local Slack Web API that
the tests and the console share, the demo workspace, and signed-request helpers."""
