"""One module per `aideals` sub-command, each exposing a click command named `command`."""
