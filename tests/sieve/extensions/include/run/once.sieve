require ["include", "variables", "fileinto"];
global "count";
include "counter";
include :once "counter";
include "counter";
include :once "counter";
fileinto "count-${count}";
