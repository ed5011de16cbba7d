## src/vm: binary format, verifier, VM, result, core match types and comparators
libsiftcore_la_SOURCES += \
	src/vm/address.h \
	src/vm/binary.c src/vm/binary.h src/vm/bytecode.h \
	src/vm/comparator.c \
	src/vm/disasm.c src/vm/disasm.h \
	src/vm/headers.c src/vm/headers.h \
	src/vm/match.c \
	src/vm/opcodes.def \
	src/vm/result.c src/vm/result.h \
	src/vm/verify.c src/vm/verify.h \
	src/vm/vm.c src/vm/vm.h
siftvmincludedir = $(siftincludedir)/vm
siftvminclude_HEADERS = src/vm/binary.h src/vm/bytecode.h src/vm/result.h src/vm/vm.h src/vm/disasm.h
