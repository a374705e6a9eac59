"""Pure domain core: value objects and functions, standard library only."""
