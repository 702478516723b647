/** The wall display's entry (served to the hub's own machine only). */
import { mount } from 'svelte';
import Display from './Display.svelte';
import '../app.css';

mount(Display, { target: document.getElementById('app')! });
