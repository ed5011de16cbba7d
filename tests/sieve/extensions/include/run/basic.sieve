require ["include", "fileinto"];
fileinto "main-before";
include "file-a";
include :global "file-g";
include :personal "file-g";
fileinto "main-after";
