"""Many certificates: render_many on any executor, the batch command, output names, progress."""
