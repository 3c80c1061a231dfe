// CTF target: placeholder until the module lands.
