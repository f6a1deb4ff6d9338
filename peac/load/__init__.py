"""The load runner: schedules, virtual users, recording, and the engine that ties them together."""
