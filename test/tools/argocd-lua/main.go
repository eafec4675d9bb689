// argocd-lua runs an Argo CD resource health check (health.lua) the way Argo CD does: gopher-lua (Lua 5.1),
// with only the libraries Argo CD opens for health checks configured in argocd-cm (package, base, table; no
// string, math or io library unless useOpenLibs is set), the object in the global `obj`, a 1 s timeout, and the
// same validation of the returned status. It mirrors argoproj/argo-cd util/lua/lua.go (runLua and
// ExecuteHealthLua).
//
// Usage: argocd-lua [-open-libs] health.lua < objects.json
// stdin: a JSON array of Kubernetes objects; stdout: a JSON array, one {"status","message"} or {"error"} each.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
)

type result struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

var validStatus = map[string]bool{
	"Unknown": true, "Progressing": true, "Suspended": true, "Healthy": true, "Degraded": true, "Missing": true,
}

// decodeValue is Argo CD's conversion of an unstructured object into Lua values.
func decodeValue(L *lua.LState, value interface{}) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case []interface{}:
		arr := L.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(decodeValue(L, item))
		}
		return arr
	case map[string]interface{}:
		tbl := L.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), decodeValue(L, item))
		}
		return tbl
	}
	return lua.LNil
}

func run(script string, obj map[string]interface{}, openLibs bool) result {
	L := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	defer L.Close()
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := L.CallByParam(lua.P{Fn: L.NewFunction(lib.fn), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return result{Error: err.Error()}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	L.SetContext(ctx)
	L.SetGlobal("obj", decodeValue(L, obj))
	if err := L.DoString(script); err != nil {
		return result{Error: err.Error()}
	}
	ret := L.Get(-1)
	tbl, ok := ret.(*lua.LTable)
	if !ok {
		return result{Error: fmt.Sprintf("expect table output from Lua script, not %s", ret.Type().String())}
	}
	status, message := tbl.RawGetString("status"), tbl.RawGetString("message")
	for name, v := range map[string]lua.LValue{"status": status, "message": message} {
		if v != lua.LNil && v.Type() != lua.LTString {
			return result{Error: fmt.Sprintf("%s must be a string, not %s", name, v.Type().String())}
		}
	}
	r := result{}
	if s, ok := status.(lua.LString); ok {
		r.Status = string(s)
	}
	if m, ok := message.(lua.LString); ok {
		r.Message = string(m)
	}
	if !validStatus[r.Status] {
		return result{Status: "Unknown", Message: "Lua returned an invalid health status"}
	}
	return r
}

func main() {
	openLibs := flag.Bool("open-libs", false, "open all standard libraries (argocd-cm useOpenLibs: true)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: argocd-lua [-open-libs] health.lua < objects.json")
		os.Exit(2)
	}
	script, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var objs []map[string]interface{}
	if err := json.NewDecoder(os.Stdin).Decode(&objs); err != nil {
		fmt.Fprintln(os.Stderr, "stdin must be a JSON array of objects:", err)
		os.Exit(2)
	}
	out := make([]result, 0, len(objs))
	for _, obj := range objs {
		out = append(out, run(string(script), obj, *openLibs))
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
