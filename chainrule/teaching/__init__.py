"""Teaching: exercises that grade themselves, the lessons of the Learn mode, gradient-health
diagnostics and the classic backprop mistakes."""
