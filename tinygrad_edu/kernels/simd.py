"""SIMD vectors for numba kernels: 64 bytes of floats held as one value, in registers.

numba hands a kernel's loops to LLVM, whose loop vectorizer turns the innermost loop into SIMD
code, 16 float32 at a time on an AVX-512 CPU. That is enough when each value is loaded, used and
stored in one sweep. A convolution wants more: the sums of a block of output positions should stay
in registers for all of its taps, the loop over taps inside the loop over positions, which the loop
vectorizer does not do. So the conv kernels (``conv._forward_kernel``, and the row copies around
them) write their vectors themselves, with these functions, usable only inside ``@njit`` code:

    load(a, i)               the vector a[i], a[i + 1], ..., a[i + lanes - 1] of a 1-D contiguous array
    store(a, i, v)           a[i:i + lanes] = v
    load_first(a, i, n)      a[i], ..., a[i + n - 1] and zeros in the other lanes, reading nothing else
    store_first(a, i, v, n)  a[i:i + n] = v's first n lanes, writing nothing else
    splat(x)                 x in every lane
    mul_add(a, b, c)         a * b + c lane by lane (fused into one rounding where the CPU has FMA)
    lanes(a)                 how many of a's values one vector holds: 16 float32 or 8 float64

A vector is a value, not an array: numba keeps it in registers and LLVM allocates them. Nothing
is bounds-checked: the caller keeps i + lanes (i + n for the _first pair, 0 <= n <= lanes) within
the array. The _first pair are masked loads and stores: a row of 14 values is one of each, not 14
scalar copies. A vector is 64 bytes (``VECTOR_BYTES``) on every CPU: one AVX-512 register, two
AVX2 ones, which LLVM pairs. On this machine (AMD Zen 4) the conv forward with 64-byte vectors
took 0.73 of the loop-vectorised kernel's time on conv2; compiled for AVX2
(``NUMBA_CPU_NAME=haswell``) 0.67 with 64-byte vectors and 1.06 with 32-byte ones (8 sums of 8
lanes leave too little work per tap).
"""
import llvmlite.binding
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic, models, register_model

VECTOR_BYTES = 64


class Vector(types.Type):
    """numba's type of a vector of one float dtype: LLVM's <lanes x float> or <lanes x double>."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.lanes = VECTOR_BYTES // (dtype.bitwidth // 8)
        super().__init__(name=f"Vector({dtype} x {self.lanes})")


@register_model(Vector)
class _VectorModel(models.PrimitiveModel):
    """A Vector is held as LLVM's vector type itself, so it lives in registers, not memory."""

    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.VectorType(dmm.lookup(fe_type.dtype).get_value_type(), fe_type.lanes))


def _check_float_array(a, op):
    if not (isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C" and a.dtype in (types.float32,
                                                                                              types.float64)):
        raise TypingError(f"simd.{op}: expected a 1-D contiguous float32 or float64 array, got {a}")


def _address(context, builder, array_type, array, index, vector_type):
    """A pointer to array[index], as a pointer to a vector."""
    ary = context.make_array(array_type)(context, builder, array)
    ptr = cgutils.get_item_pointer(context, builder, array_type, ary, [index], wraparound=False)
    return builder.bitcast(ptr, vector_type.as_pointer())


@intrinsic
def load(typingctx, a, i):
    _check_float_array(a, "load")
    vector = Vector(a.dtype)

    def codegen(context, builder, sig, args):
        vty = context.get_value_type(sig.return_type)
        return builder.load(_address(context, builder, sig.args[0], args[0], args[1], vty), align=a.dtype.bitwidth // 8)
    return vector(a, types.intp), codegen


@intrinsic
def store(typingctx, a, i, v):
    _check_float_array(a, "store")
    if v != Vector(a.dtype):
        raise TypingError(f"simd.store: expected a {Vector(a.dtype)} for a {a.dtype} array, got {v}")

    def codegen(context, builder, sig, args):
        vty = context.get_value_type(sig.args[2])
        builder.store(args[2], _address(context, builder, sig.args[0], args[0], args[1], vty),
                      align=a.dtype.bitwidth // 8)
        return context.get_dummy_value()
    return types.none(a, types.intp, v), codegen


def _first_lanes(builder, count, lanes):
    """The mask <lane < count> as LLVM's <lanes x i1>."""
    ints = ir.VectorType(ir.IntType(64), lanes)
    return builder.icmp_signed("<", ir.Constant(ints, list(range(lanes))), _broadcast(builder, count, ints))


def _broadcast(builder, value, vty):
    """value in every lane of a vector of type vty."""
    first = builder.insert_element(ir.Constant(vty, ir.Undefined), value, ir.Constant(ir.IntType(32), 0))
    zeros = ir.Constant(ir.VectorType(ir.IntType(32), vty.count), [0] * vty.count)
    return builder.shuffle_vector(first, ir.Constant(vty, ir.Undefined), zeros)


def _masked(builder, name, vty, arg_types, args):
    """A call of LLVM's llvm.masked.load or llvm.masked.store, its name mangled with the vector type and
    the pointer's: "p0" where pointers are opaque (LLVM 15 on), "p0v16f32" and the like before."""
    vector = f"v{vty.count}{'f32' if vty.element == ir.FloatType() else 'f64'}"
    pointer = "p0" if llvmlite.binding.llvm_version_info[0] >= 15 else f"p0{vector}"
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(arg_types[0], arg_types[1]),
                                        f"llvm.masked.{name}.{vector}.{pointer}")
    return builder.call(fn, args)


@intrinsic
def load_first(typingctx, a, i, n):
    _check_float_array(a, "load_first")
    vector = Vector(a.dtype)

    def codegen(context, builder, sig, args):
        vty = context.get_value_type(sig.return_type)
        ptr = _address(context, builder, sig.args[0], args[0], args[1], vty)
        mask = _first_lanes(builder, args[2], vector.lanes)
        i32 = ir.IntType(32)
        return _masked(builder, "load", vty, (vty, [ptr.type, i32, mask.type, vty]),
                       [ptr, ir.Constant(i32, a.dtype.bitwidth // 8), mask, ir.Constant(vty, None)])
    return vector(a, types.intp, types.intp), codegen


@intrinsic
def store_first(typingctx, a, i, v, n):
    _check_float_array(a, "store_first")
    if v != Vector(a.dtype):
        raise TypingError(f"simd.store_first: expected a {Vector(a.dtype)} for a {a.dtype} array, got {v}")

    def codegen(context, builder, sig, args):
        vty = context.get_value_type(sig.args[2])
        ptr = _address(context, builder, sig.args[0], args[0], args[1], vty)
        mask = _first_lanes(builder, args[3], v.lanes)
        i32 = ir.IntType(32)
        _masked(builder, "store", vty, (ir.VoidType(), [vty, ptr.type, i32, mask.type]),
                [args[2], ptr, ir.Constant(i32, a.dtype.bitwidth // 8), mask])
        return context.get_dummy_value()
    return types.none(a, types.intp, v, types.intp), codegen


@intrinsic
def splat(typingctx, x):
    if x not in (types.float32, types.float64):
        raise TypingError(f"simd.splat: expected a float32 or float64 number, got {x}")
    vector = Vector(x)

    def codegen(context, builder, sig, args):
        return _broadcast(builder, args[0], context.get_value_type(sig.return_type))
    return vector(x), codegen


@intrinsic
def mul_add(typingctx, a, b, c):
    if not (isinstance(a, Vector) and a == b == c):
        raise TypingError(f"simd.mul_add: expected three vectors of one dtype, got {a}, {b}, {c}")

    def codegen(context, builder, sig, args):
        vty = args[0].type
        # llvm.fmuladd: one fused multiply-add where the CPU has FMA, a multiply and an add elsewhere
        name = f"llvm.fmuladd.v{vty.count}{'f32' if a.dtype == types.float32 else 'f64'}"
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vty, [vty, vty, vty]), name)
        return builder.call(fn, args)
    return a(a, b, c), codegen


@intrinsic
def lanes(typingctx, a):
    _check_float_array(a, "lanes")
    count = Vector(a.dtype).lanes

    def codegen(context, builder, sig, args):
        return ir.Constant(ir.IntType(64), count)
    return types.intp(a), codegen
