# The stable ABI of the interpreter spython embeds, as mk/enroll.mk derives it:
# the names its own headers declare under Py_LIMITED_API, read from cc -E
# output in which PyAPI_FUNC and PyAPI_DATA were redefined to leave the
# markers __spy_func__ and __spy_data__. One name per line, unsorted.
BEGIN { RS = ";" }
{
    s = $0
    gsub(/\n/, " ", s)
    gsub(/__attribute__ *\(\([^()]*(\([^()]*\))*[^()]*\)\)/, " ", s)
}
s ~ /__spy_func__/ {
    sub(/.*__spy_func__/, "", s)
    if (match(s, /[A-Za-z_][A-Za-z0-9_]* *\(/)) {
        n = substr(s, RSTART, RLENGTH)
        sub(/ *\($/, "", n)
        print n
    }
    next
}
s ~ /__spy_data__/ {
    sub(/.*__spy_data__/, "", s)
    if (match(s, /\( *\* *[A-Za-z_][A-Za-z0-9_]* *\)/)) {       # int (*PyOS_InputHook)(void)
        n = substr(s, RSTART, RLENGTH)
        gsub(/[^A-Za-z0-9_]/, "", n)
        print n
        next
    }
    gsub(/\[[^]]*\]/, "", s)
    k = split(s, w, /[^A-Za-z0-9_]+/)
    for (i = k; i > 0; i--)
        if (w[i] != "") { print w[i]; break }
}
# Stable ABI entries no limited-API header declares: the abi_only items of
# CPython's Misc/stable_abi.toml that are private functions or data.
END {
    print "PyMarshal_ReadObjectFromString"
    print "PyMarshal_WriteObjectToString"
    print "PyMember_GetOne"
    print "PyMember_SetOne"
    print "PyThreadState_DeleteCurrent"
    print "Py_GetArgcArgv"
    print "_PyState_AddModule"
    print "_PyThreadState_Init"
    print "_PyThreadState_Prealloc"
    print "_Py_CheckRecursiveCall"
    print "_Py_SwappedOp"
}
