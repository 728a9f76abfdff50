"""Teaching: exercises that grade themselves, and the lessons of the Learn mode."""
