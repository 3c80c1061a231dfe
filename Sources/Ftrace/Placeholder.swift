// Ftrace target: placeholder until the module lands.
