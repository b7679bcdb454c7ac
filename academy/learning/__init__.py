"""Learning paths, assignments, progress and the trainee's journey."""
