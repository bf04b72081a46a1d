"""Webhooks services: the delivery log and idempotency (events), N8N callbacks, Stripe billing."""
