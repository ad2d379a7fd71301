-- Push (issue 16): each pending event has one pg-boss job in the `push-delivery` queue, written by
-- the same statement that makes the event due (an outbox row and its job commit together).
--
-- Why a trigger and not pg-boss's `send({ db })`: events are written by set-based SQL inside the
-- audit unit of work (one statement for a whole group commit of sandbox overrides, attempts and
-- polls), so there is no JavaScript call per event to hang a `send` on. The trigger is the one
-- writer of pg-boss's job table outside pg-boss; its column list mirrors pg-boss 12.38.1's own
-- insert (`insertJobs` in dist/plans.js): the queue row supplies retry, expiry and retention,
-- `job_now()` the creation time. Fetching, the lease (expiry), retries of an attempt that never
-- finished, completion and clean-up are pg-boss's. A pg-boss upgrade re-checks this function.
--
-- `job_id` is the job that may attempt the event now: a writer that wants a new attempt (a new
-- event, a retry, a replay) leaves it NULL and the trigger enqueues one. A worker claims an event
-- only with its current job, so a stale job (one whose attempt was recorded before the worker
-- died, or that a replay replaced) completes without sending anything.

-- AlterTable
ALTER TABLE "push_delivery" ADD COLUMN "job_id" UUID;

-- The claim index of the hand-written loop: pg-boss's job table is the queue now.
DROP INDEX "push_delivery_status_next_attempt_at_idx";

CREATE FUNCTION "push_delivery_enqueue"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'pending' AND NEW.job_id IS NULL THEN
    NEW.job_id := gen_random_uuid();
    INSERT INTO pgboss.job (id, name, data, priority, start_after, created_on, expire_seconds, deletion_seconds, keep_until,
                            retry_limit, retry_delay, retry_backoff, retry_delay_max, policy, dead_letter, heartbeat_seconds)
    SELECT NEW.job_id, q.name, jsonb_build_object('deliveryId', NEW.id), 0, NEW.next_attempt_at, pgboss.job_now(), q.expire_seconds,
           q.deletion_seconds, NEW.next_attempt_at + q.retention_seconds * interval '1 second', q.retry_limit, q.retry_delay,
           q.retry_backoff, q.retry_delay_max, q.policy, q.dead_letter, q.heartbeat_seconds
      FROM pgboss.queue q WHERE q.name = 'push-delivery';
    IF NOT FOUND THEN
      RAISE EXCEPTION 'the pg-boss queue push-delivery is missing (migration 20261206100000_add_pg_boss)';
    END IF;
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "push_delivery_enqueue" BEFORE INSERT OR UPDATE OF "status", "job_id" ON "push_delivery"
  FOR EACH ROW EXECUTE FUNCTION "push_delivery_enqueue"();

-- Events written before this migration (the old loop's outbox): the ones still pending get a job.
UPDATE "push_delivery" SET "job_id" = NULL WHERE "status" = 'pending';
