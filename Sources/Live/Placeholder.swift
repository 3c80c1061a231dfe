// Live target: placeholder until the module lands.
