"""The video pipeline: script -> voice -> render -> upload, within cost and quota, crash-safe.

- ``state``: the per-video pipeline record (``metadata["pipeline"]``), waits, the per-video lock;
- ``queue``: sending a step to its Celery queue with the video's priority;
- ``steps``: one function per step, each idempotent;
- ``runner``: running a step under the lock, failing a video, what is retryable;
- ``recovery``: the dispatcher (waits that are over, lost messages) and the sweeper (dead workers).

Import the module you need (``from videos.pipeline.steps import step_script``); this package
re-exports nothing, so the services can enqueue steps without importing the steps.
"""
