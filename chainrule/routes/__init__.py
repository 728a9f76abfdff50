"""HTTP routes: thin handlers over the engine and the trainer."""
