"""The console for team leads and admins: queues, loop and job progress, reviewer throughput."""
