"""A simulated platform day on the real stack (issue 15): ``manage.py simulate_day`` / ``make simulate``.

- ``harness``: the coordinator (its own Redis, database, fakes, population, clock, faults, report);
- ``clock``: one simulated clock, followed by every process through time-machine;
- ``settings`` / ``cache``: the processes' settings (the app's, pointed at the simulation, with the
  two durations the app waits in real time compressed like the clock);
- ``worker`` / ``beat`` / ``web``: the production Celery worker, celery beat and the WSGI app, each
  started through an entrypoint that only makes it follow the clock (and measure itself:
  ``instrument``);
- ``fakes`` / ``n8n``: the tests' fake OpenAI, TTS, N8N and Google/YouTube, wrapped for a day
  (realistic answers, faults, Pacific midnight on the clock) and the N8N render workflow;
- ``faults``: what goes wrong and when; ``seed``: the population; ``report``: metrics and musts.

No production code path changes: the app runs as deployed; only the entrypoints differ.
"""
