include "file-a";
