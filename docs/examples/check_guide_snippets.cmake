# Every ```cpp block of docs/guide.md must appear, whole lines in order, in
# one of docs/examples/*.cpp, which the test suite compiles and runs: the
# guide cannot drift from code that builds. Indentation is ignored.
#
#   cmake -D GUIDE=docs/guide.md -D EXAMPLES_DIR=docs/examples -P check_guide_snippets.cmake
#
# Texts are handled with string() only: C++ is full of ';', which CMake
# lists would split on.
cmake_minimum_required(VERSION 3.25)  # script mode: current policies

function(strip_indentation text out)
  string(REGEX REPLACE "\n[ \t]+" "\n" text "\n${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

file(READ ${GUIDE} guide)
file(GLOB examples ${EXAMPLES_DIR}/*.cpp)
set(code "")
foreach(example IN LISTS examples)
  file(READ ${example} text)
  string(APPEND code "${text}\n")
endforeach()
strip_indentation("${code}" code)

set(blocks 0)
while(TRUE)
  string(FIND "${guide}" "```cpp\n" start)
  if(start EQUAL -1)
    break()
  endif()
  math(EXPR start "${start} + 7")
  string(SUBSTRING "${guide}" ${start} -1 guide)
  string(FIND "${guide}" "```" end)
  if(end EQUAL -1)
    message(FATAL_ERROR "${GUIDE}: a ```cpp block is not closed")
  endif()
  string(SUBSTRING "${guide}" 0 ${end} block)
  math(EXPR end "${end} + 3")
  string(SUBSTRING "${guide}" ${end} -1 guide)
  math(EXPR blocks "${blocks} + 1")
  strip_indentation("${block}" block)
  string(FIND "${code}" "${block}" found)
  if(found EQUAL -1)
    message(SEND_ERROR "${GUIDE}: code block ${blocks} is not in ${EXAMPLES_DIR}/*.cpp:${block}")
  endif()
endwhile()
if(blocks EQUAL 0)
  message(FATAL_ERROR "${GUIDE} has no ```cpp blocks")
endif()
message("${blocks} code blocks of ${GUIDE} checked against the compiled examples")
