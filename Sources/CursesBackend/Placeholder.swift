// CursesBackend target: placeholder until the module lands.
