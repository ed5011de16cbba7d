require ["include", "variables"];
global ["ok", "not-ok", "1x"];
